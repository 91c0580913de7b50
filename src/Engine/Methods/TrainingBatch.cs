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
    /// For methods that train on labels: throws a <see cref="Training.Loop.TrainingException"/> naming the first
    /// unlabeled sample (label −1) and <paramref name="method"/>.
    /// </summary>
    public void RequireLabels(string method)
    {
        int i = Array.FindIndex(Labels, y => y < 0);
        if (i >= 0)
            throw new Training.Loop.TrainingException($"--method {method} trains on class labels, and training image {Indices[i]} has none (label −1); use a labelled data set (or split) or a self-supervised method.");
    }

    /// <summary>
    /// The batch of a loader: its views (already on the loader's backend) shared by reference
    /// count — the training batch keeps them alive after the loader lets them go — and the valid
    /// part of its indices and labels.
    /// </summary>
    public static TrainingBatch FromLoader(LoaderBatch batch)
    {
        var views = batch.Views.Select(v => v.View(v.Shape)).ToArray();
        return new TrainingBatch(views, batch.Indices.AsSpan(0, batch.Size).ToArray(), batch.Labels.AsSpan(0, batch.Size).ToArray());
    }

    public void Dispose()
    {
        foreach (var v in Views) v.Dispose();
    }
}
