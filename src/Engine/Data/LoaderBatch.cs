using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Data;

/// <summary>
/// One batch of the loader: sample indices and labels on the host, and one [Size, C, S, S] view
/// tensor per view configuration on the loader's backend. The loader holds the view tensors
/// until its enumerator moves past the next batch (then it releases them); take a
/// <see cref="Tensor.View"/> of one to keep it longer (TrainingBatch.FromLoader does).
/// </summary>
public sealed class LoaderBatch
{
    internal LoaderBatch(int batchSize, int viewCount)
    {
        Indices = new int[batchSize];
        Labels = new int[batchSize];
        Views = new Tensor[viewCount];
    }

    /// <summary>Batch number within the epoch.</summary>
    public int Number { get; internal set; }

    /// <summary>Samples in this batch (≤ the arrays' capacity for a short last eval batch).</summary>
    public int Size { get; internal set; }

    /// <summary>(capacity) data-set indices; the first Size are valid.</summary>
    public int[] Indices { get; }

    /// <summary>(capacity) labels, −1 when unlabeled; the first Size are valid.</summary>
    public int[] Labels { get; }

    /// <summary>Per view configuration: [Size, C, S, S] on the backend.</summary>
    public Tensor[] Views { get; }

    /// <summary>Drops the loader's references to the view tensors.</summary>
    internal void ReleaseViews()
    {
        for (int v = 0; v < Views.Length; v++)
        {
            Views[v]?.Dispose();
            Views[v] = null!;
        }
    }
}
