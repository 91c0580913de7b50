using NativeContrastive.Engine.Data;

namespace NativeContrastive.Engine.Methods;

/// <summary>
/// One training batch on the method's backend: <see cref="Views"/>[v] is view v of every
/// sample, [B, C, H, W]; <see cref="Indices"/>[b] is sample b's index in the data set (NPID's
/// bank row) and <see cref="Labels"/>[b] its class (−1 when unlabeled; self-supervised
/// methods ignore it). The batch owns its views: <see cref="Dispose"/> releases them.
/// </summary>
public sealed class TrainingBatch : IDisposable
{
    public TrainingBatch(Tensor[] views, int[] indices, int[] labels)
    {
        if (views.Length == 0) throw new ArgumentException("TrainingBatch needs at least one view.");
        if (indices.Length != labels.Length)
            throw new ArgumentException($"TrainingBatch: {indices.Length} indices but {labels.Length} labels.");
        foreach (var v in views)
            if (v.Rank != 4 || v.Dim(0) != indices.Length)
                throw new ArgumentException($"TrainingBatch: every view must be [B={indices.Length}, C, H, W], got {Tensors.ShapeUtil.Format(v.Shape)}.");
        Views = views;
        Indices = indices;
        Labels = labels;
    }

    public Tensor[] Views { get; }

    public int[] Indices { get; }

    public int[] Labels { get; }

    /// <summary>B, samples in the batch.</summary>
    public int Size => Indices.Length;

    /// <summary>
    /// Uploads the valid part of a loader batch: view v becomes [Size, channels, H, W] with
    /// H·W taken from the buffer (capacity·C·H·W floats, square images).
    /// </summary>
    public static TrainingBatch FromLoader(LoaderBatch batch, int channels, IBackend backend)
    {
        int capacity = batch.Indices.Length, size = batch.Size;
        var views = new Tensor[batch.Views.Length];
        for (int v = 0; v < views.Length; v++)
        {
            long perImage = batch.Views[v].LongLength / capacity;
            int side = (int)Math.Round(Math.Sqrt(perImage / (double)channels));
            if ((long)channels * side * side != perImage)
                throw new ArgumentException($"TrainingBatch.FromLoader: view {v} holds {perImage} floats per image, not {channels}×S×S.");
            views[v] = Tensor.FromArray(backend, batch.Views[v].AsSpan(0, (int)(size * perImage)), size, channels, side, side);
        }
        return new TrainingBatch(views, batch.Indices.AsSpan(0, size).ToArray(), batch.Labels.AsSpan(0, size).ToArray());
    }

    public void Dispose()
    {
        foreach (var v in Views) v.Dispose();
    }
}
