using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Data;

/// <summary>
/// Iterates an epoch of batches of a <see cref="ResidentDataset"/>, making one view per entry of
/// <c>views</c> (SimCLR: two of the same config; multi-crop: several) with the backend's
/// <see cref="IBackend.AugmentViews"/>: the host only draws the random decisions, the pixels stay
/// on the backend.
///
/// Prefetch: on a backend that computes on the host (<see cref="IBackend.ComputesOnHost"/>, cpu),
/// batch k+1 is made on a background task while the caller works on batch k. On a device the
/// views come from a kernel queued on the backend's stream ahead of the step that uses them, so
/// there is nothing to overlap on the host and batches are made when the caller asks. The output
/// is identical either way.
/// </summary>
public sealed class DataLoader
{
    private readonly ResidentDataset data;
    private readonly BatchSampler sampler;
    private readonly AugmentationConfig[] views;

    public DataLoader(ResidentDataset data, BatchSampler sampler, IReadOnlyList<AugmentationConfig> views, bool prefetch = true)
    {
        var ds = data.Dataset;
        if (sampler.Count > ds.Count)
            throw new ArgumentException($"DataLoader: sampler covers {sampler.Count} samples, {ds.Name} has {ds.Count}.");
        if (views.Count == 0) throw new ArgumentException("DataLoader needs at least one view configuration.");
        foreach (var v in views) { v.Validate(); v.Normalization.Validate(ds.Channels); }
        this.data = data;
        this.sampler = sampler;
        this.views = views.ToArray();
        Prefetch = prefetch && data.Backend.ComputesOnHost;
    }

    /// <summary>True when the next batch is made on a background task (asked for, and the backend computes on the host).</summary>
    public bool Prefetch { get; }

    public int BatchesPerEpoch => sampler.BatchesPerEpoch;

    public IEnumerable<LoaderBatch> Epoch(int epoch)
    {
        var batches = sampler.Batches(epoch).ToArray();
        if (batches.Length == 0) yield break;
        LoaderBatch[] buffers = [new(sampler.BatchSize, views.Length), new(sampler.BatchSize, views.Length)];
        Task? pending = null;
        try
        {
            if (!Prefetch)
            {
                for (int k = 0; k < batches.Length; k++)
                {
                    Fill(buffers[0], k, batches[k], epoch);
                    yield return buffers[0];
                }
                yield break;
            }
            // A batch being made must finish before its buffer can be handed out or refilled,
            // also when the caller stops early (the finally runs on the enumerator's Dispose).
            pending = Task.Run(() => Fill(buffers[0], 0, batches[0], epoch));
            for (int k = 0; k < batches.Length; k++)
            {
                pending.GetAwaiter().GetResult();
                if (k + 1 < batches.Length)
                {
                    int next = k + 1;
                    pending = Task.Run(() => Fill(buffers[next & 1], next, batches[next], epoch));
                }
                yield return buffers[k & 1];
            }
        }
        finally
        {
            try { pending?.Wait(); } catch (AggregateException) { /* already surfaced or abandoned with the epoch */ }
            foreach (var b in buffers) b.ReleaseViews();
        }
    }

    private void Fill(LoaderBatch batch, int number, ArraySegment<int> indices, int epoch)
    {
        batch.ReleaseViews();
        batch.Number = number;
        batch.Size = indices.Count;
        indices.AsSpan().CopyTo(batch.Indices);
        var labels = data.Dataset.Labels;
        for (int b = 0; b < indices.Count; b++) batch.Labels[b] = labels[indices[b]];
        // The views belong to the loader, not to whatever scope the caller may have open.
        using var _ = TensorScope.Suspend();
        for (int v = 0; v < views.Length; v++)
            batch.Views[v] = data.Augment(indices, views[v], epoch, v);
    }
}
