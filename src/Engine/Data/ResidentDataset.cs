using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Data;

/// <summary>
/// An <see cref="ImageDataset"/> whose pixels were uploaded once to a backend as one
/// [N, C, H, W] <see cref="ByteTensor"/> (on cuda the whole uint8 data set sits in GPU memory).
/// <see cref="Augment"/> makes a batch of views there: the random decisions are drawn on the
/// host, the pixels never leave the backend, and only the float views are written. Owns the
/// byte tensor (it belongs to no <see cref="TensorScope"/>); dispose to release it.
/// </summary>
public sealed class ResidentDataset : IDisposable
{
    public ResidentDataset(ImageDataset dataset, IBackend backend)
    {
        Dataset = dataset;
        Backend = backend;
        using var _ = TensorScope.Suspend();
        Images = ByteTensor.FromArray(backend, dataset.Pixels, dataset.Count, dataset.Channels, dataset.Height, dataset.Width);
    }

    public ImageDataset Dataset { get; }

    public IBackend Backend { get; }

    /// <summary>[N, C, H, W] uint8 on <see cref="Backend"/>.</summary>
    public ByteTensor Images { get; }

    /// <summary>
    /// Views [B, C, S, S] (S = cfg.OutputSize, B = indices.Length) of the samples in
    /// <paramref name="indices"/>: view number <paramref name="view"/> of epoch
    /// <paramref name="epoch"/>, drawn as <see cref="AugmentationDraws.Draw"/> and made by
    /// <see cref="IBackend.AugmentViews"/>. A new tensor in the current scope.
    /// </summary>
    public Tensor Augment(ReadOnlySpan<int> indices, AugmentationConfig cfg, int epoch, int view)
    {
        var draws = AugmentationDraws.ForBatch(cfg, Dataset.Height, Dataset.Width, epoch, indices, view);
        var views = Tensor.Empty(Backend, indices.Length, Dataset.Channels, cfg.OutputSize, cfg.OutputSize);
        try
        {
            Backend.AugmentViews(Images, indices, draws, cfg, views);
        }
        catch
        {
            views.Dispose();
            throw;
        }
        return views;
    }

    public void Dispose() => Images.Dispose();
}
