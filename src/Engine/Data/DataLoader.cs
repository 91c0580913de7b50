namespace NativeContrastive.Engine.Data;

/// <summary>
/// Iterates an epoch of batches, filling one view per entry of <c>views</c> (SimCLR: two of the
/// same config; multi-crop: several). With prefetch on, batch k+1 is filled on a background
/// task while the caller works on batch k (double buffering with two <see cref="LoaderBatch"/>
/// buffers); the output is identical either way.
/// </summary>
public sealed class DataLoader
{
    private readonly ImageDataset ds;
    private readonly BatchSampler sampler;
    private readonly AugmentationConfig[] views;
    private readonly LoaderBatch[] buffers;

    public DataLoader(ImageDataset ds, BatchSampler sampler, IReadOnlyList<AugmentationConfig> views, bool prefetch = true)
    {
        if (sampler.Count > ds.Count)
            throw new ArgumentException($"DataLoader: sampler covers {sampler.Count} samples, {ds.Name} has {ds.Count}.");
        if (views.Count == 0) throw new ArgumentException("DataLoader needs at least one view configuration.");
        foreach (var v in views) { v.Validate(); v.Normalization.Validate(ds.Channels); }
        this.ds = ds;
        this.sampler = sampler;
        this.views = views.ToArray();
        Prefetch = prefetch;
        var floats = views.Select(v => sampler.BatchSize * ds.Channels * v.OutputSize * v.OutputSize).ToArray();
        buffers = [new LoaderBatch(sampler.BatchSize, floats), new LoaderBatch(sampler.BatchSize, floats)];
    }

    public bool Prefetch { get; }

    public int BatchesPerEpoch => sampler.BatchesPerEpoch;

    public IEnumerable<LoaderBatch> Epoch(int epoch)
    {
        var batches = sampler.Batches(epoch).ToArray();
        if (batches.Length == 0) yield break;
        if (!Prefetch)
        {
            for (int k = 0; k < batches.Length; k++)
            {
                Fill(buffers[0], k, batches[k], epoch);
                yield return buffers[0];
            }
            yield break;
        }
        // A batch being filled must finish before its buffer can be handed out or refilled,
        // also when the caller stops early (the finally runs on the enumerator's Dispose).
        Task pending = Task.Run(() => Fill(buffers[0], 0, batches[0], epoch));
        try
        {
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
            try { pending.Wait(); } catch (AggregateException) { /* already surfaced or abandoned with the epoch */ }
        }
    }

    private void Fill(LoaderBatch batch, int number, ArraySegment<int> indices, int epoch)
    {
        batch.Number = number;
        batch.Size = indices.Count;
        indices.AsSpan().CopyTo(batch.Indices);
        BatchFiller.FillLabels(ds, indices, batch.Labels);
        for (int v = 0; v < views.Length; v++)
            BatchFiller.FillViews(ds, indices, views[v], epoch, v, batch.Views[v]);
    }
}
