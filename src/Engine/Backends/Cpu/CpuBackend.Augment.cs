using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>
/// Augmentation: each view is <see cref="Augmenter.Apply"/> (the C# reference of augment.cu) on
/// its image, written straight into its slice of the output; views are spread over threads, and
/// since each depends only on its image and draws the result is the same for any thread count.
/// </summary>
public sealed partial class CpuBackend
{
    /// <summary>Threads <see cref="AugmentViews"/> uses (default: all cores).</summary>
    public int MaxAugmentParallelism { get; set; } = Environment.ProcessorCount;

    public void AugmentViews(ByteTensor images, ReadOnlySpan<int> indices, ReadOnlySpan<AugmentationDraws> draws,
                             AugmentationConfig config, Tensor views)
    {
        AugmentViewsArguments.Validate(images, indices, draws, config, views);
        using var profile = CpuProfile.Time(LaunchCost.Elements(views.Length));
        int c = images.Dim(1), h = images.Dim(2), w = images.Dim(3), s = config.OutputSize;
        int imageBytes = c * h * w, per = c * s * s;
        byte[] pixels = Data(images);
        float[] dst = Data(views);
        var idx = indices.ToArray(); // Parallel.For cannot capture spans
        var d = draws.ToArray();
        Parallel.For(0, idx.Length, new ParallelOptions { MaxDegreeOfParallelism = MaxAugmentParallelism }, b =>
            Augmenter.ForThread.Apply(pixels.AsSpan((int)((long)idx[b] * imageBytes), imageBytes), c, h, w, config, d[b],
                dst.AsSpan(b * per, per)));
    }
}
