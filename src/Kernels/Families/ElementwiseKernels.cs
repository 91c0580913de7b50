using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>Launchers of kernels-cu/elementwise.cu: 256 threads per block, grid-stride, at most 4096 blocks.</summary>
public sealed class ElementwiseKernels(IKernelDriver driver) : KernelFamily(driver, "elementwise")
{
    public const int Threads = 256;

    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new[]
    {
        "fill_forward_kernel", "copy_forward_kernel", "add_forward_kernel", "axpy_forward_kernel", "scale_forward_kernel",
        "mul_forward_kernel", "relu_forward_kernel", "relu_backward_kernel", "exp_forward_kernel", "log_forward_kernel",
        "bias_add_forward_kernel", "axpby_forward_kernel", "affine_forward_kernel", "copy_blocks_forward_kernel",
    }.ToDictionary(k => k, _ => new LaunchShape(Threads));

    private void Run(string kernel, long n, KernelArgs args, LaunchCost cost)
    {
        if (n == 0) return;
        Launch(kernel, GridFor(n, Threads), Threads, args, cost);
    }

    public void Fill(DeviceBuffer y, float value, long n) { Need(y, n, nameof(y)); Run("fill_forward_kernel", n, new KernelArgs().Ptr(y).F32(value).I64(n), LaunchCost.Elements(n)); }

    public void Copy(DeviceBuffer x, DeviceBuffer y, long n)
    {
        Need(x, n, nameof(x)); Need(y, n, nameof(y));
        Run("copy_forward_kernel", n, new KernelArgs().Ptr(x).Ptr(y).I64(n), LaunchCost.Elements(2 * n));
    }

    /// <summary>y = a + b.</summary>
    public void Add(DeviceBuffer a, DeviceBuffer b, DeviceBuffer y, long n)
    {
        Need(a, n, nameof(a)); Need(b, n, nameof(b)); Need(y, n, nameof(y));
        Run("add_forward_kernel", n, new KernelArgs().Ptr(a).Ptr(b).Ptr(y).I64(n), LaunchCost.Elements(3 * n));
    }

    /// <summary>y += alpha·x.</summary>
    public void Axpy(float alpha, DeviceBuffer x, DeviceBuffer y, long n)
    {
        Need(x, n, nameof(x)); Need(y, n, nameof(y));
        Run("axpy_forward_kernel", n, new KernelArgs().F32(alpha).Ptr(x).Ptr(y).I64(n), LaunchCost.Elements(3 * n));
    }

    /// <summary>y = alpha·x + beta·y; beta = 0 never reads y.</summary>
    public void Axpby(float alpha, DeviceBuffer x, float beta, DeviceBuffer y, long n)
    {
        Need(x, n, nameof(x)); Need(y, n, nameof(y));
        Run("axpby_forward_kernel", n, new KernelArgs().F32(alpha).Ptr(x).F32(beta).Ptr(y).I64(n), LaunchCost.Elements((beta == 0f ? 2 : 3) * n));
    }

    /// <summary>y = scale·x + shift.</summary>
    public void Affine(DeviceBuffer x, float scale, float shift, DeviceBuffer y, long n)
    {
        Need(x, n, nameof(x)); Need(y, n, nameof(y));
        Run("affine_forward_kernel", n, new KernelArgs().Ptr(x).F32(scale).F32(shift).Ptr(y).I64(n), LaunchCost.Elements(2 * n));
    }

    /// <summary>
    /// For b &lt; blockCount, i &lt; blockLength: dst[dstOffset + b·dstStride + i] = src[srcOffset + b·srcStride + i]
    /// (offsets and strides in elements; both ranges are checked against the buffers).
    /// </summary>
    public void CopyBlocks(DeviceBuffer src, long srcOffset, long srcStride, DeviceBuffer dst, long dstOffset, long dstStride,
        long blockLength, long blockCount)
    {
        if (blockLength < 0 || blockCount < 0 || srcOffset < 0 || dstOffset < 0)
            throw new ArgumentOutOfRangeException(nameof(blockLength), "CopyBlocks: lengths and offsets must be ≥ 0.");
        long n = blockLength * blockCount;
        if (n == 0) return;
        Need(src, srcOffset + (blockCount - 1) * srcStride + blockLength, nameof(src));
        Need(dst, dstOffset + (blockCount - 1) * dstStride + blockLength, nameof(dst));
        Run("copy_blocks_forward_kernel", n, new KernelArgs().Ptr(src).I64(srcOffset).I64(srcStride).Ptr(dst).I64(dstOffset).I64(dstStride)
            .I64(blockLength).I64(blockCount), LaunchCost.Elements(2 * n));
    }

    /// <summary>y = alpha·x.</summary>
    public void Scale(DeviceBuffer x, float alpha, DeviceBuffer y, long n)
    {
        Need(x, n, nameof(x)); Need(y, n, nameof(y));
        Run("scale_forward_kernel", n, new KernelArgs().Ptr(x).F32(alpha).Ptr(y).I64(n), LaunchCost.Elements(2 * n));
    }

    /// <summary>y = a·b (elementwise).</summary>
    public void Mul(DeviceBuffer a, DeviceBuffer b, DeviceBuffer y, long n)
    {
        Need(a, n, nameof(a)); Need(b, n, nameof(b)); Need(y, n, nameof(y));
        Run("mul_forward_kernel", n, new KernelArgs().Ptr(a).Ptr(b).Ptr(y).I64(n), LaunchCost.Elements(3 * n));
    }

    public void Relu(DeviceBuffer x, DeviceBuffer y, long n)
    {
        Need(x, n, nameof(x)); Need(y, n, nameof(y));
        Run("relu_forward_kernel", n, new KernelArgs().Ptr(x).Ptr(y).I64(n), LaunchCost.Elements(2 * n));
    }

    /// <summary>dx = dy·[x &gt; 0].</summary>
    public void ReluBackward(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx, long n)
    {
        Need(x, n, nameof(x)); Need(dy, n, nameof(dy)); Need(dx, n, nameof(dx));
        Run("relu_backward_kernel", n, new KernelArgs().Ptr(x).Ptr(dy).Ptr(dx).I64(n), LaunchCost.Elements(3 * n));
    }

    public void Exp(DeviceBuffer x, DeviceBuffer y, long n)
    {
        Need(x, n, nameof(x)); Need(y, n, nameof(y));
        Run("exp_forward_kernel", n, new KernelArgs().Ptr(x).Ptr(y).I64(n), LaunchCost.Elements(2 * n));
    }

    public void Log(DeviceBuffer x, DeviceBuffer y, long n)
    {
        Need(x, n, nameof(x)); Need(y, n, nameof(y));
        Run("log_forward_kernel", n, new KernelArgs().Ptr(x).Ptr(y).I64(n), LaunchCost.Elements(2 * n));
    }

    /// <summary>y[r, c] = x[r, c] + bias[c] for [rows, cols] row-major.</summary>
    public void BiasAdd(DeviceBuffer x, DeviceBuffer bias, DeviceBuffer y, int rows, int cols)
    {
        long n = (long)rows * cols;
        Need(x, n, nameof(x)); Need(bias, cols, nameof(bias)); Need(y, n, nameof(y));
        Run("bias_add_forward_kernel", n, new KernelArgs().Ptr(x).Ptr(bias).Ptr(y).I64(n).I32(cols), LaunchCost.Elements(2 * n + cols));
    }
}
