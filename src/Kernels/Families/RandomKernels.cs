using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>
/// Launchers of kernels-cu/random.cu: one thread per Philox block (4 outputs), 256 threads
/// per block. Output i equals draw i of RandomStream(seed, stream).
/// </summary>
public sealed class RandomKernels(IKernelDriver driver) : KernelFamily(driver, "random")
{
    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new[]
    {
        "philox_forward_kernel", "uniform_forward_kernel", "normal_forward_kernel", "randint_forward_kernel",
    }.ToDictionary(k => k, _ => new LaunchShape(256));

    private static KernelArgs Key(KernelArgs a, ulong seed, ulong stream) =>
        a.U32((uint)seed).U32((uint)(seed >> 32)).U32((uint)stream).U32((uint)(stream >> 32));

    /// <summary>out[4b + j] = Philox4x32-10((first + b, stream), seed)[j] for b &lt; blocks.</summary>
    public void Philox(DeviceBuffer output, long blocks, ulong seed, ulong stream, ulong first = 0)
    {
        Need(output, blocks * 4, nameof(output));
        if (blocks > 0) Launch("philox_forward_kernel", GridFor(blocks, 256), 256, Key(new KernelArgs().Ptr(output).I64(blocks), seed, stream).U64(first), LaunchCost.Elements(4 * blocks));
    }

    public void Uniform(DeviceBuffer y, long n, ulong seed, ulong stream, float lo = 0f, float hi = 1f)
    {
        Need(y, n, nameof(y));
        if (n > 0) Launch("uniform_forward_kernel", GridFor((n + 3) / 4, 256), 256, Key(new KernelArgs().Ptr(y).I64(n), seed, stream).F32(lo).F32(hi), LaunchCost.Elements(n));
    }

    public void Normal(DeviceBuffer y, long n, ulong seed, ulong stream, float mean = 0f, float std = 1f)
    {
        Need(y, n, nameof(y));
        if (n > 0) Launch("normal_forward_kernel", GridFor((n + 3) / 4, 256), 256, Key(new KernelArgs().Ptr(y).I64(n), seed, stream).F32(mean).F32(std), LaunchCost.Elements(n));
    }

    /// <summary>y[i] ∈ [0, range) as RandomStream.NextInt(range).</summary>
    public void Integers(DeviceBuffer y, long n, ulong seed, ulong stream, int range)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(range);
        Need(y, n, nameof(y));
        if (n > 0) Launch("randint_forward_kernel", GridFor((n + 3) / 4, 256), 256, Key(new KernelArgs().Ptr(y).I64(n), seed, stream).I32(range), LaunchCost.Elements(n));
    }
}
