using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>
/// Launchers of kernels-cu/batchnorm.cu, x viewed as [n, c, hw]. Training forward and backward
/// are three launches each — per-(channel, split) reduction on a (c, S) grid of 256-thread
/// blocks, a per-channel finalize (a thread per channel), an elementwise apply (grid-stride,
/// 256 threads, at most 4096 blocks) — with the partial sums and per-channel coefficients in
/// grow-only workspaces; nothing waits for the host. Inference is one elementwise launch. The
/// BatchNormAddRelu* variants (relu(bn(x) + residual)) differ only in their apply kernels. The
/// *Bf16Input variants read x stored as bf16 bits (a bf16 convolution's output, a Bf16Tensor) through
/// the "_bf16" kernels, the same code instantiated for bf16 loads; everything else stays fp32. The
/// *Bf16InputOutput variants store y as bf16 too (a BN+ReLU output that only the next convolution
/// reads; the "_bf16_out_bf16" kernels), and their backward reads that y as the ReLU mask. The
/// *Bf16Gradient backward variants store dx as bf16 ("_dx_bf16" applies: the gradient a bf16
/// convolution reads, which rounds it anyway).
/// Dispose the launcher to free the workspaces.
/// </summary>
public sealed class BatchNormKernels(IKernelDriver driver) : KernelFamily(driver, "batchnorm"), IDisposable
{
    public const int Threads = 256;

    /// <summary>Blocks the statistics grid aims for when channels are few and large.</summary>
    public const int TargetBlocks = 1024;

    /// <summary>Fewest values of a channel one statistics block reduces (16 per thread).</summary>
    public const int MinPerBlock = 16 * Threads;

    /// <summary>Most values one block reduces: Welford counts in float stay exact below 2²⁴.</summary>
    public const int MaxPerBlock = 1 << 24;

    // Partial sums per (channel, split), and per-channel coefficients: two buffers rather than
    // offsets into one, so that every kernel argument is a buffer's base pointer.
    private readonly Workspace partials = new(driver), coefficients = new(driver);

    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new[]
    {
        "batchnorm_forward_stats_kernel", "batchnorm_forward_finalize_kernel", "batchnorm_forward_apply_kernel",
        "batchnorm_forward_inference_kernel", "batchnorm_backward_reduce_kernel", "batchnorm_backward_finalize_kernel",
        "batchnorm_backward_apply_kernel", "batchnorm_add_relu_forward_apply_kernel", "batchnorm_add_relu_forward_inference_kernel",
        "batchnorm_add_relu_backward_apply_kernel",
        "batchnorm_forward_stats_bf16_kernel", "batchnorm_forward_apply_bf16_kernel", "batchnorm_backward_reduce_bf16_kernel",
        "batchnorm_backward_apply_bf16_kernel", "batchnorm_add_relu_forward_apply_bf16_kernel", "batchnorm_add_relu_backward_apply_bf16_kernel",
        "batchnorm_forward_inference_bf16_kernel", "batchnorm_add_relu_forward_inference_bf16_kernel",
        "batchnorm_forward_apply_bf16_out_bf16_kernel", "batchnorm_forward_inference_bf16_out_bf16_kernel",
        "batchnorm_backward_reduce_bf16_out_bf16_kernel", "batchnorm_backward_apply_bf16_out_bf16_kernel",
        "batchnorm_backward_apply_bf16_dx_bf16_kernel", "batchnorm_backward_apply_bf16_out_bf16_dx_bf16_kernel",
        "batchnorm_add_relu_backward_apply_bf16_dx_bf16_kernel",
        "batchnorm_add_relu_forward_apply_bf16_out_bf16_kernel", "batchnorm_add_relu_forward_inference_bf16_out_bf16_kernel",
        "batchnorm_add_relu_backward_apply_bf16_out_bf16_kernel", "batchnorm_add_relu_backward_apply_bf16_out_bf16_dx_bf16_kernel",
    }.ToDictionary(k => k, _ => new LaunchShape(Threads));

    /// <summary>The kernel reading x as bf16 ("…_bf16_kernel") when <paramref name="xBf16"/>, else <paramref name="kernel"/> itself.</summary>
    private static string ForInput(string kernel, bool xBf16) => xBf16 ? kernel.Replace("_kernel", "_bf16_kernel") : kernel;

    /// <summary>The backward apply storing dx as bf16 ("…_dx_bf16_kernel") when <paramref name="dxBf16"/> (x is then bf16 too).</summary>
    private static string WithDx(string kernel, bool dxBf16) => dxBf16 ? kernel.Replace("_kernel", "_dx_bf16_kernel") : kernel;

    /// <summary>As <see cref="ForInput"/>, with y (the output, or backward's ReLU mask) in bf16 too when <paramref name="yBf16"/> ("…_bf16_out_bf16_kernel").</summary>
    private static string ForTypes(string kernel, bool xBf16, bool yBf16) =>
        yBf16 ? kernel.Replace("_kernel", "_bf16_out_bf16_kernel") : ForInput(kernel, xBf16);

    /// <summary>
    /// Training-mode batch norm: per channel μ, σ² (biased) over n·hw values; y ← γ(x−μ)/√(σ²+ε) + β
    /// (then max(y, 0) when <paramref name="relu"/>); saveMean ← μ, saveInvStd ← 1/√(σ²+ε);
    /// running ← (1−momentum)·running + momentum·stat with the unbiased variance, as PyTorch.
    /// </summary>
    public void BatchNormForwardTraining(DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                         DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean, DeviceBuffer runningVar,
                                         int n, int c, int hw, float momentum, float eps, bool relu) =>
        BatchNormForwardTraining(x, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps, relu, Splits(n, c, hw));

    /// <summary>As the public overload with the number of blocks per channel given (tests exercise several on small shapes).</summary>
    internal void BatchNormForwardTraining(DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                           DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean, DeviceBuffer runningVar,
                                           int n, int c, int hw, float momentum, float eps, bool relu, int splits) =>
        ForwardTraining(x, null, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps, relu, splits, xBf16: false);

    /// <summary>
    /// Training-mode batch norm with x and y stored as bf16 bits: y ← bf16(what the fp32 forward writes
    /// for x widened); statistics fp32.
    /// </summary>
    public void BatchNormForwardTrainingBf16InputOutput(DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                                        DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean, DeviceBuffer runningVar,
                                                        int n, int c, int hw, float momentum, float eps, bool relu, int? splits = null) =>
        ForwardTraining(x, null, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps, relu, splits ?? Splits(n, c, hw),
            xBf16: true, yBf16: true);

    /// <summary>
    /// <see cref="BatchNormForwardTraining(DeviceBuffer, DeviceBuffer, DeviceBuffer, DeviceBuffer, DeviceBuffer, DeviceBuffer, DeviceBuffer, DeviceBuffer, int, int, int, float, float, bool)"/>
    /// with x stored as bf16 bits (read widened to fp32, exactly); y and the statistics fp32.
    /// </summary>
    public void BatchNormForwardTrainingBf16Input(DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                                  DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean, DeviceBuffer runningVar,
                                                  int n, int c, int hw, float momentum, float eps, bool relu, int? splits = null) =>
        ForwardTraining(x, null, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps, relu, splits ?? Splits(n, c, hw), xBf16: true);

    /// <summary><see cref="BatchNormAddReluForwardTraining"/> with x and y stored as bf16 bits (y rounded); residual fp32.</summary>
    public void BatchNormAddReluForwardTrainingBf16InputOutput(DeviceBuffer x, DeviceBuffer residual, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                                               DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean,
                                                               DeviceBuffer runningVar, int n, int c, int hw, float momentum, float eps, int? splits = null) =>
        ForwardTraining(x, residual, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps, true, splits ?? Splits(n, c, hw),
            xBf16: true, yBf16: true);

    /// <summary><see cref="BatchNormAddReluForwardTraining"/> with x stored as bf16 bits; residual and y fp32.</summary>
    public void BatchNormAddReluForwardTrainingBf16Input(DeviceBuffer x, DeviceBuffer residual, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                                         DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean, DeviceBuffer runningVar,
                                                         int n, int c, int hw, float momentum, float eps, int? splits = null) =>
        ForwardTraining(x, residual, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps, true, splits ?? Splits(n, c, hw), xBf16: true);

    /// <summary>
    /// Training-mode batch norm fused with a residual add and ReLU: y ← relu(bn(x) + residual)
    /// (NaN propagates); statistics and running updates as <see cref="BatchNormForwardTraining(DeviceBuffer, DeviceBuffer, DeviceBuffer, DeviceBuffer, DeviceBuffer, DeviceBuffer, DeviceBuffer, DeviceBuffer, int, int, int, float, float, bool)"/>.
    /// </summary>
    public void BatchNormAddReluForwardTraining(DeviceBuffer x, DeviceBuffer residual, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                                DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean, DeviceBuffer runningVar,
                                                int n, int c, int hw, float momentum, float eps, int? splits = null) =>
        ForwardTraining(x, residual, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, n, c, hw, momentum, eps, true, splits ?? Splits(n, c, hw), xBf16: false);

    private void ForwardTraining(DeviceBuffer x, DeviceBuffer? residual, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                 DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean, DeviceBuffer runningVar,
                                 int n, int c, int hw, float momentum, float eps, bool relu, int splits, bool xBf16, bool yBf16 = false)
    {
        int count = Check(n, c, hw);
        int xBytes = xBf16 ? 2 : 4, yBytes = yBf16 ? 2 : 4;
        Need(x, count, nameof(x), xBytes); Need(y, count, nameof(y), yBytes);
        if (residual is not null) Need(residual, count, nameof(residual));
        foreach (var (b, name) in new[] { (gamma, nameof(gamma)), (beta, nameof(beta)), (saveMean, nameof(saveMean)),
                     (saveInvStd, nameof(saveInvStd)), (runningMean, nameof(runningMean)), (runningVar, nameof(runningVar)) })
            Need(b, c, name);
        if (c == 0) return;
        int total = n * hw;
        int chunk = Chunk(total, splits, out splits);
        var partial = partials.Get((long)c * splits * 2 * sizeof(float));
        var coef = coefficients.Get(2L * c * sizeof(float));
        Launch(ForInput("batchnorm_forward_stats_kernel", xBf16), new Dim3((uint)c, (uint)splits), Threads,
            new KernelArgs().Ptr(x).Ptr(partial).I32(n).I32(c).I32(hw).I32(chunk), new LaunchCost(xBytes * count + 8L * c * splits));
        Launch("batchnorm_forward_finalize_kernel", GridFor(c, Threads), Threads,
            new KernelArgs().Ptr(partial).I32(splits).I32(chunk).I32(total).Ptr(gamma).Ptr(beta).Ptr(saveMean).Ptr(saveInvStd)
                .Ptr(runningMean).Ptr(runningVar).Ptr(coef).I32(c).F32(momentum).F32(eps), LaunchCost.Elements(2L * c * splits + 10L * c));
        if (count == 0) return;
        if (residual is null)
            Launch(ForTypes("batchnorm_forward_apply_kernel", xBf16, yBf16), GridFor(count, Threads), Threads,
                new KernelArgs().Ptr(x).Ptr(y).Ptr(coef).I32(count).I32(c).I32(hw).I32(relu ? 1 : 0), new LaunchCost((xBytes + yBytes) * (long)count + 8L * c));
        else
            Launch(ForTypes("batchnorm_add_relu_forward_apply_kernel", xBf16, yBf16), GridFor(count, Threads), Threads,
                new KernelArgs().Ptr(x).Ptr(residual).Ptr(y).Ptr(coef).I32(count).I32(c).I32(hw), new LaunchCost((xBytes + 4L + yBytes) * count + 8L * c));
    }

    /// <summary>Eval-mode batch norm with the running statistics (then max(y, 0) when <paramref name="relu"/>).</summary>
    public void BatchNormForwardInference(DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                          DeviceBuffer runningMean, DeviceBuffer runningVar, int n, int c, int hw, float eps, bool relu) =>
        ForwardInference(x, gamma, beta, y, runningMean, runningVar, n, c, hw, eps, relu, xBf16: false);

    /// <summary><see cref="BatchNormForwardInference"/> with x stored as bf16 bits; y fp32.</summary>
    public void BatchNormForwardInferenceBf16Input(DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                                   DeviceBuffer runningMean, DeviceBuffer runningVar, int n, int c, int hw, float eps, bool relu) =>
        ForwardInference(x, gamma, beta, y, runningMean, runningVar, n, c, hw, eps, relu, xBf16: true);

    /// <summary><see cref="BatchNormForwardInference"/> with x and y stored as bf16 bits.</summary>
    public void BatchNormForwardInferenceBf16InputOutput(DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                                         DeviceBuffer runningMean, DeviceBuffer runningVar, int n, int c, int hw, float eps, bool relu) =>
        ForwardInference(x, gamma, beta, y, runningMean, runningVar, n, c, hw, eps, relu, xBf16: true, yBf16: true);

    private void ForwardInference(DeviceBuffer x, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                  DeviceBuffer runningMean, DeviceBuffer runningVar, int n, int c, int hw, float eps, bool relu, bool xBf16, bool yBf16 = false)
    {
        int count = Check(n, c, hw);
        int xBytes = xBf16 ? 2 : 4, yBytes = yBf16 ? 2 : 4;
        Need(x, count, nameof(x), xBytes); Need(y, count, nameof(y), yBytes);
        foreach (var (b, name) in new[] { (gamma, nameof(gamma)), (beta, nameof(beta)), (runningMean, nameof(runningMean)), (runningVar, nameof(runningVar)) })
            Need(b, c, name);
        if (count > 0)
            Launch(ForTypes("batchnorm_forward_inference_kernel", xBf16, yBf16), GridFor(count, Threads), Threads,
                new KernelArgs().Ptr(x).Ptr(y).Ptr(gamma).Ptr(beta).Ptr(runningMean).Ptr(runningVar).I32(count).I32(c).I32(hw).F32(eps).I32(relu ? 1 : 0),
                new LaunchCost((xBytes + yBytes) * (long)count + 16L * c));
    }

    /// <summary>Eval-mode batch norm fused with a residual add and ReLU: y ← relu(bn(x) + residual) with the running statistics.</summary>
    public void BatchNormAddReluForwardInference(DeviceBuffer x, DeviceBuffer residual, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                                 DeviceBuffer runningMean, DeviceBuffer runningVar, int n, int c, int hw, float eps) =>
        AddReluForwardInference(x, residual, gamma, beta, y, runningMean, runningVar, n, c, hw, eps, xBf16: false);

    /// <summary><see cref="BatchNormAddReluForwardInference"/> with x stored as bf16 bits; residual and y fp32.</summary>
    public void BatchNormAddReluForwardInferenceBf16Input(DeviceBuffer x, DeviceBuffer residual, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                                          DeviceBuffer runningMean, DeviceBuffer runningVar, int n, int c, int hw, float eps) =>
        AddReluForwardInference(x, residual, gamma, beta, y, runningMean, runningVar, n, c, hw, eps, xBf16: true);

    /// <summary><see cref="BatchNormAddReluForwardInference"/> with x and y stored as bf16 bits; residual fp32.</summary>
    public void BatchNormAddReluForwardInferenceBf16InputOutput(DeviceBuffer x, DeviceBuffer residual, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                                                DeviceBuffer runningMean, DeviceBuffer runningVar, int n, int c, int hw, float eps) =>
        AddReluForwardInference(x, residual, gamma, beta, y, runningMean, runningVar, n, c, hw, eps, xBf16: true, yBf16: true);

    private void AddReluForwardInference(DeviceBuffer x, DeviceBuffer residual, DeviceBuffer gamma, DeviceBuffer beta, DeviceBuffer y,
                                         DeviceBuffer runningMean, DeviceBuffer runningVar, int n, int c, int hw, float eps, bool xBf16, bool yBf16 = false)
    {
        int count = Check(n, c, hw);
        int xBytes = xBf16 ? 2 : 4, yBytes = yBf16 ? 2 : 4;
        Need(x, count, nameof(x), xBytes); Need(residual, count, nameof(residual)); Need(y, count, nameof(y), yBytes);
        foreach (var (b, name) in new[] { (gamma, nameof(gamma)), (beta, nameof(beta)), (runningMean, nameof(runningMean)), (runningVar, nameof(runningVar)) })
            Need(b, c, name);
        if (count > 0)
            Launch(ForTypes("batchnorm_add_relu_forward_inference_kernel", xBf16, yBf16), GridFor(count, Threads), Threads,
                new KernelArgs().Ptr(x).Ptr(residual).Ptr(y).Ptr(gamma).Ptr(beta).Ptr(runningMean).Ptr(runningVar).I32(count).I32(c).I32(hw).F32(eps),
                new LaunchCost((xBytes + 4L + yBytes) * count + 16L * c));
    }

    /// <summary>
    /// Gradients of <see cref="BatchNormAddReluForwardTraining"/> (all overwritten): with g = dy·[y &gt; 0]
    /// (y the fused output), dresidual ← g and dx, dgamma, dbeta as batch norm's backward of g.
    /// </summary>
    public void BatchNormAddReluBackward(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer y, DeviceBuffer gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd,
                                         DeviceBuffer dx, DeviceBuffer dresidual, DeviceBuffer dgamma, DeviceBuffer dbeta, int n, int c, int hw, int? splits = null) =>
        Backward(x, dy, y, dresidual, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, n, c, hw, splits ?? Splits(n, c, hw), xBf16: false);

    /// <summary><see cref="BatchNormAddReluBackward"/> with x stored as bf16 bits; every gradient fp32.</summary>
    public void BatchNormAddReluBackwardBf16Input(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer y, DeviceBuffer gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd,
                                                  DeviceBuffer dx, DeviceBuffer dresidual, DeviceBuffer dgamma, DeviceBuffer dbeta, int n, int c, int hw, int? splits = null) =>
        Backward(x, dy, y, dresidual, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, n, c, hw, splits ?? Splits(n, c, hw), xBf16: true);

    /// <summary>
    /// <see cref="BatchNormBackward(DeviceBuffer, DeviceBuffer, DeviceBuffer?, DeviceBuffer, DeviceBuffer, DeviceBuffer, DeviceBuffer, DeviceBuffer, DeviceBuffer, int, int, int)"/>
    /// with x stored as bf16 bits; every gradient fp32.
    /// </summary>
    public void BatchNormBackwardBf16Input(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer? y, DeviceBuffer gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd,
                                           DeviceBuffer dx, DeviceBuffer dgamma, DeviceBuffer dbeta, int n, int c, int hw, int? splits = null) =>
        Backward(x, dy, y, null, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, n, c, hw, splits ?? Splits(n, c, hw), xBf16: true);

    /// <summary>
    /// The backward of <see cref="BatchNormForwardTrainingBf16InputOutput"/> with ReLU: x and y (the mask,
    /// y &gt; 0) stored as bf16 bits; every gradient fp32.
    /// </summary>
    public void BatchNormBackwardBf16InputOutput(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer y, DeviceBuffer gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd,
                                                 DeviceBuffer dx, DeviceBuffer dgamma, DeviceBuffer dbeta, int n, int c, int hw, int? splits = null) =>
        Backward(x, dy, y, null, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, n, c, hw, splits ?? Splits(n, c, hw), xBf16: true, yBf16: true);

    /// <summary>
    /// The backward of a batch norm whose x is stored as bf16 bits, with dx stored as bf16 bits too
    /// (rounded from what the fp32-dx launch writes); y, the ReLU mask when given, is fp32 or (when
    /// <paramref name="yBf16"/>) bf16. dgamma and dbeta fp32.
    /// </summary>
    public void BatchNormBackwardBf16Gradient(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer? y, bool yBf16, DeviceBuffer gamma, DeviceBuffer saveMean,
                                              DeviceBuffer saveInvStd, DeviceBuffer dx, DeviceBuffer dgamma, DeviceBuffer dbeta, int n, int c, int hw,
                                              int? splits = null)
    {
        if (yBf16 && y is null) throw new ArgumentException("Batch norm backward: a bf16 y is the ReLU mask; it cannot be absent.", nameof(y));
        Backward(x, dy, y, null, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, n, c, hw, splits ?? Splits(n, c, hw), xBf16: true, yBf16: yBf16,
            dxBf16: true);
    }

    /// <summary>
    /// <see cref="BatchNormAddReluBackward"/> with x and y (the mask) stored as bf16 bits: the backward of
    /// <see cref="BatchNormAddReluForwardTrainingBf16InputOutput"/>; dx and dresidual fp32.
    /// </summary>
    public void BatchNormAddReluBackwardBf16InputOutput(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer y, DeviceBuffer gamma, DeviceBuffer saveMean,
                                                        DeviceBuffer saveInvStd, DeviceBuffer dx, DeviceBuffer dresidual, DeviceBuffer dgamma,
                                                        DeviceBuffer dbeta, int n, int c, int hw, int? splits = null) =>
        Backward(x, dy, y, dresidual, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, n, c, hw, splits ?? Splits(n, c, hw), xBf16: true, yBf16: true);

    /// <summary>
    /// <see cref="BatchNormAddReluBackward"/> with x and dx stored as bf16 bits; y (the mask) fp32 or,
    /// when <paramref name="yBf16"/>, bf16; dresidual fp32.
    /// </summary>
    public void BatchNormAddReluBackwardBf16Gradient(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer y, bool yBf16, DeviceBuffer gamma, DeviceBuffer saveMean,
                                                     DeviceBuffer saveInvStd, DeviceBuffer dx, DeviceBuffer dresidual, DeviceBuffer dgamma,
                                                     DeviceBuffer dbeta, int n, int c, int hw, int? splits = null) =>
        Backward(x, dy, y, dresidual, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, n, c, hw, splits ?? Splits(n, c, hw), xBf16: true, yBf16: yBf16,
            dxBf16: true);

    /// <summary>
    /// Gradients of training-mode batch norm (dx, dgamma, dbeta overwritten). When <paramref name="y"/>
    /// is given it is the fused BN+ReLU output and dy is first masked by y &gt; 0.
    /// </summary>
    public void BatchNormBackward(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer? y, DeviceBuffer gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd,
                                  DeviceBuffer dx, DeviceBuffer dgamma, DeviceBuffer dbeta, int n, int c, int hw) =>
        BatchNormBackward(x, dy, y, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, n, c, hw, Splits(n, c, hw));

    /// <summary>As the public overload with the number of blocks per channel given.</summary>
    internal void BatchNormBackward(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer? y, DeviceBuffer gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd,
                                    DeviceBuffer dx, DeviceBuffer dgamma, DeviceBuffer dbeta, int n, int c, int hw, int splits) =>
        Backward(x, dy, y, null, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, n, c, hw, splits, xBf16: false);

    private void Backward(DeviceBuffer x, DeviceBuffer dy, DeviceBuffer? y, DeviceBuffer? dresidual, DeviceBuffer gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd,
                          DeviceBuffer dx, DeviceBuffer dgamma, DeviceBuffer dbeta, int n, int c, int hw, int splits, bool xBf16, bool yBf16 = false,
                          bool dxBf16 = false)
    {
        int count = Check(n, c, hw);
        int xBytes = xBf16 ? 2 : 4, yBytes = y is null ? 0 : yBf16 ? 2 : 4, dxBytes = dxBf16 ? 2 : 4;
        Need(x, count, nameof(x), xBytes); Need(dy, count, nameof(dy)); Need(dx, count, nameof(dx), dxBytes);
        if (y is not null) Need(y, count, nameof(y), yBytes);
        if (dresidual is not null) Need(dresidual, count, nameof(dresidual));
        foreach (var (b, name) in new[] { (gamma, nameof(gamma)), (saveMean, nameof(saveMean)), (saveInvStd, nameof(saveInvStd)),
                     (dgamma, nameof(dgamma)), (dbeta, nameof(dbeta)) })
            Need(b, c, name);
        if (c == 0) return;
        int total = n * hw;
        int chunk = Chunk(total, splits, out splits);
        var partial = partials.Get((long)c * splits * 2 * sizeof(float));
        var coef = coefficients.Get(3L * c * sizeof(float));
        Launch(ForTypes("batchnorm_backward_reduce_kernel", xBf16, yBf16), new Dim3((uint)c, (uint)splits), Threads,
            new KernelArgs().Ptr(x).Ptr(dy).Ptr(y?.Ptr ?? 0).Ptr(saveMean).Ptr(partial).I32(n).I32(c).I32(hw).I32(chunk),
            new LaunchCost((xBytes + 4L + yBytes) * count + 4L * c + 8L * c * splits));
        Launch("batchnorm_backward_finalize_kernel", GridFor(c, Threads), Threads,
            new KernelArgs().Ptr(partial).I32(splits).Ptr(gamma).Ptr(saveInvStd).Ptr(dgamma).Ptr(dbeta).Ptr(coef).I32(c).I32(total), LaunchCost.Elements(2L * c * splits + 7L * c));
        if (count == 0) return;
        if (dresidual is null)
            Launch(WithDx(ForTypes("batchnorm_backward_apply_kernel", xBf16, yBf16), dxBf16), GridFor(count, Threads), Threads,
                new KernelArgs().Ptr(x).Ptr(dy).Ptr(y?.Ptr ?? 0).Ptr(saveMean).Ptr(coef).Ptr(dx).I32(count).I32(c).I32(hw),
                new LaunchCost((xBytes + 4L + yBytes + dxBytes) * count + 16L * c));
        else
            Launch(WithDx(ForTypes("batchnorm_add_relu_backward_apply_kernel", xBf16, yBf16), dxBf16), GridFor(count, Threads), Threads,
                new KernelArgs().Ptr(x).Ptr(dy).Ptr(y!).Ptr(saveMean).Ptr(coef).Ptr(dx).Ptr(dresidual).I32(count).I32(c).I32(hw),
                new LaunchCost((xBytes + 8L + yBytes + dxBytes) * count + 16L * c));
    }

    /// <summary>
    /// Blocks per channel for the reductions: enough to reach <see cref="TargetBlocks"/> when
    /// channels are few, each with at least <see cref="MinPerBlock"/> values.
    /// </summary>
    public static int Splits(int n, int c, int hw)
    {
        long total = (long)n * hw;
        long splits = Math.Max(1, (TargetBlocks + Math.Max(c, 1) - 1) / Math.Max(c, 1));
        splits = Math.Min(splits, Math.Max(1, total / MinPerBlock));
        return (int)Math.Max(splits, (total + MaxPerBlock - 1) / MaxPerBlock);
    }

    /// <summary>Values per block for the wanted split count; returns it and the resulting (non-empty) split count.</summary>
    private static int Chunk(int total, int wanted, out int splits)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(wanted);
        int chunk = (int)Math.Max(1, (total + (long)wanted - 1) / wanted);
        if (chunk > MaxPerBlock) throw new ArgumentException($"Batch norm: {wanted} blocks per channel leave {chunk} values each (at most {MaxPerBlock}).");
        splits = Math.Max(1, (total + chunk - 1) / chunk);
        if (splits > 65535) throw new ArgumentException($"Batch norm: {splits} blocks per channel exceed the grid's y limit.");
        return chunk;
    }

    private static int Check(int n, int c, int hw)
    {
        if (n < 0 || c < 0 || hw < 0) throw new ArgumentException($"Batch norm: negative size n={n}, c={c}, hw={hw}.");
        long count = (long)n * c * hw;
        if (count > int.MaxValue || (long)n * hw > int.MaxValue) throw new ArgumentException($"Batch norm: n·c·hw = {count} ≥ 2³¹ (the kernels index in 32 bits).");
        return (int)count;
    }

    public void Dispose()
    {
        partials.Dispose();
        coefficients.Dispose();
    }
}
