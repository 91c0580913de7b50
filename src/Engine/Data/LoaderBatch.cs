namespace NativeContrastive.Engine.Data;

/// <summary>
/// One batch on the host: sample indices, labels and one B×C×S×S float buffer per view.
/// The loader reuses these buffers: a batch stays valid until the enumerator moves past the
/// next one.
/// </summary>
public sealed class LoaderBatch
{
    internal LoaderBatch(int batchSize, IReadOnlyList<int> viewFloats)
    {
        Indices = new int[batchSize];
        Labels = new int[batchSize];
        Views = viewFloats.Select(n => new float[n]).ToArray();
    }

    /// <summary>Batch number within the epoch.</summary>
    public int Number { get; internal set; }

    /// <summary>Samples in this batch (≤ the buffers' capacity for a short last eval batch).</summary>
    public int Size { get; internal set; }

    /// <summary>(capacity) data-set indices; the first Size are valid.</summary>
    public int[] Indices { get; }

    /// <summary>(capacity) labels, −1 when unlabeled.</summary>
    public int[] Labels { get; }

    /// <summary>Per view: (capacity, C, S, S) floats; the first Size images are valid.</summary>
    public float[][] Views { get; }
}
