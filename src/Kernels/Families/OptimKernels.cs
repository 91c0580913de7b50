using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>Launchers of kernels-cu/optim.cu: 256 threads per block, grid-stride, at most 4096 blocks.</summary>
public sealed class OptimKernels(IKernelDriver driver) : KernelFamily(driver, "optim")
{
    public const int Threads = 256;

    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new Dictionary<string, LaunchShape>
    {
        ["sgd_forward_kernel"] = new(Threads),
        ["sgd_momentum_forward_kernel"] = new(Threads),
        ["adam_forward_kernel"] = new(Threads),
    };

    /// <summary>In place, no momentum: w ← w − lr·(g + wd·w).</summary>
    public void Sgd(DeviceBuffer w, DeviceBuffer g, long n, float lr, float weightDecay)
    {
        Need(w, n, nameof(w)); Need(g, n, nameof(g));
        if (n > 0) Launch("sgd_forward_kernel", GridFor(n, Threads), Threads, new KernelArgs().Ptr(w).Ptr(g).I64(n).F32(lr).F32(weightDecay));
    }

    /// <summary>In place: d = g + wd·w; v ← μ·v + d; w ← w − lr·(nesterov ? d + μ·v : v).</summary>
    public void SgdMomentum(DeviceBuffer w, DeviceBuffer g, DeviceBuffer v, long n, float lr, float momentum, float weightDecay, bool nesterov = false)
    {
        Need(w, n, nameof(w)); Need(g, n, nameof(g)); Need(v, n, nameof(v));
        if (n > 0) Launch("sgd_momentum_forward_kernel", GridFor(n, Threads), Threads,
            new KernelArgs().Ptr(w).Ptr(g).Ptr(v).I64(n).F32(lr).F32(momentum).F32(weightDecay).I32(nesterov ? 1 : 0));
    }

    /// <summary>
    /// In place Adam (L2 weight decay) or AdamW (<paramref name="decoupled"/>) step number
    /// <paramref name="step"/> (1-based; bias corrections from it, as the cpu backend computes them).
    /// </summary>
    public void Adam(DeviceBuffer w, DeviceBuffer g, DeviceBuffer m, DeviceBuffer v, long n, long step, float lr, float beta1, float beta2,
        float eps, float weightDecay, bool decoupled)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(step);
        Need(w, n, nameof(w)); Need(g, n, nameof(g)); Need(m, n, nameof(m)); Need(v, n, nameof(v));
        float c1 = 1f - MathF.Pow(beta1, step), sqrtC2 = MathF.Sqrt(1f - MathF.Pow(beta2, step));
        float l2 = decoupled ? 0f : weightDecay, shrink = decoupled ? 1f - lr * weightDecay : 1f;
        if (n > 0) Launch("adam_forward_kernel", GridFor(n, Threads), Threads,
            new KernelArgs().Ptr(w).Ptr(g).Ptr(m).Ptr(v).I64(n).F32(beta1).F32(beta2).F32(eps).F32(l2).F32(shrink).F32(lr / c1).F32(1f / sqrtC2));
    }

    /// <summary>In place AdamW step number <paramref name="step"/> (1-based; bias corrections from it).</summary>
    public void AdamW(DeviceBuffer w, DeviceBuffer g, DeviceBuffer m, DeviceBuffer v, long n, int step, float lr, float beta1 = 0.9f,
        float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f) =>
        Adam(w, g, m, v, n, step, lr, beta1, beta2, eps, weightDecay, decoupled: true);
}
