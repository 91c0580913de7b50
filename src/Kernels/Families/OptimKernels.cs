using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>Launchers of kernels-cu/optim.cu: 256 threads per block, grid-stride, at most 4096 blocks.</summary>
public sealed class OptimKernels(IKernelDriver driver) : KernelFamily(driver, "optim")
{
    public const int Threads = 256;

    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new Dictionary<string, LaunchShape>
    {
        ["sgd_momentum_forward_kernel"] = new(Threads),
        ["adamw_forward_kernel"] = new(Threads),
    };

    /// <summary>In place: v ← μ·v + g + wd·w; w ← w − lr·v.</summary>
    public void SgdMomentum(DeviceBuffer w, DeviceBuffer g, DeviceBuffer v, long n, float lr, float momentum, float weightDecay)
    {
        Need(w, n, nameof(w)); Need(g, n, nameof(g)); Need(v, n, nameof(v));
        if (n > 0) Launch("sgd_momentum_forward_kernel", GridFor(n, Threads), Threads,
            new KernelArgs().Ptr(w).Ptr(g).Ptr(v).I64(n).F32(lr).F32(momentum).F32(weightDecay), LaunchCost.Elements(5 * n));
    }

    /// <summary>In place AdamW step number <paramref name="step"/> (1-based; bias corrections from it).</summary>
    public void AdamW(DeviceBuffer w, DeviceBuffer g, DeviceBuffer m, DeviceBuffer v, long n, int step, float lr, float beta1 = 0.9f,
        float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(step);
        Need(w, n, nameof(w)); Need(g, n, nameof(g)); Need(m, n, nameof(m)); Need(v, n, nameof(v));
        float c1 = 1f - MathF.Pow(beta1, step), c2 = 1f - MathF.Pow(beta2, step);
        if (n > 0) Launch("adamw_forward_kernel", GridFor(n, Threads), Threads,
            new KernelArgs().Ptr(w).Ptr(g).Ptr(m).Ptr(v).I64(n).F32(lr).F32(beta1).F32(beta2).F32(eps).F32(weightDecay).F32(c1).F32(c2), LaunchCost.Elements(7 * n));
    }
}
