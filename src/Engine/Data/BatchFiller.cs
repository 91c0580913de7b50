namespace NativeContrastive.Engine.Data;

/// <summary>
/// Fills caller-owned host buffers for a batch: augmented views, evaluation images, labels.
/// Images are spread over threads with Parallel.For; each writes its own C×S×S slice, and the
/// randomness of each view depends only on (seed, epoch, sample index, view), so the result is
/// the same whatever the thread count or scheduling.
/// </summary>
public static class BatchFiller
{
    /// <summary>Threads used per batch (default: all cores).</summary>
    public static int MaxDegreeOfParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// dest (B×C×S×S) ← view <paramref name="viewIndex"/> of each image in <paramref name="indices"/>
    /// (B = indices.Length; dest may be longer, the rest is untouched).
    /// </summary>
    public static void FillViews(ImageDataset ds, ReadOnlySpan<int> indices, AugmentationConfig cfg, int epoch, int viewIndex, float[] dest)
    {
        cfg.Validate();
        cfg.Normalization.Validate(ds.Channels);
        int per = ds.Channels * cfg.OutputSize * cfg.OutputSize;
        if (dest.Length < (long)indices.Length * per)
            throw new ArgumentException($"FillViews: destination holds {dest.Length} floats, {indices.Length} views of {ds.Channels}×{cfg.OutputSize}×{cfg.OutputSize} need {(long)indices.Length * per}.");
        foreach (int i in indices)
            if ((uint)i >= (uint)ds.Count) throw new ArgumentOutOfRangeException(nameof(indices), $"sample index {i} outside 0..{ds.Count - 1} of {ds.Name}.");
        var idx = indices.ToArray(); // Parallel.For cannot capture a span
        if (idx.Length == 0) return;
        Parallel.For(0, idx.Length, new ParallelOptions { MaxDegreeOfParallelism = MaxDegreeOfParallelism }, b =>
            Augmenter.ForThread.Augment(ds, idx[b], cfg, epoch, viewIndex, dest.AsSpan(b * per, per)));
    }

    /// <summary>dest ← the normalised (and, when sizes differ, resized) images: the eval path.</summary>
    public static void FillEval(ImageDataset ds, ReadOnlySpan<int> indices, AugmentationConfig evalCfg, float[] dest)
    {
        if (evalCfg.IsRandom) throw new ArgumentException("FillEval needs a configuration without randomness (AugmentationConfig.Eval).");
        FillViews(ds, indices, evalCfg, 0, 0, dest);
    }

    /// <summary>dest[b] ← label of indices[b] (−1 for unlabeled images).</summary>
    public static void FillLabels(ImageDataset ds, ReadOnlySpan<int> indices, int[] dest)
    {
        if (dest.Length < indices.Length) throw new ArgumentException($"FillLabels: destination holds {dest.Length} labels, need {indices.Length}.");
        for (int b = 0; b < indices.Length; b++) dest[b] = ds.Labels[indices[b]];
    }
}
