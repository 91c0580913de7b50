using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Eval;

/// <summary>
/// Encoder features of a data set for kNN evaluation and linear probes: images go through the
/// evaluation path of the augmentation (<see cref="AugmentationConfig.Eval"/>: no randomness,
/// resize to S×S when needed, the data set's normalisation) on the backend that holds them,
/// the encoder runs in eval mode without recording, and each feature row is L2-normalised.
/// Features that are not finite (NaN or infinite, from weights that overflow) are an error
/// (<see cref="NonFiniteFeaturesException"/>), never a result.
/// </summary>
public static class FeatureExtractor
{
    /// <summary>
    /// Features [M, D] (unit rows) of the samples <paramref name="indices"/> (default: all, in
    /// data-set order; M = their count), batch by batch in that order. <paramref name="imageSize"/>
    /// defaults to the data set's height (square images); <paramref name="normalization"/> to the
    /// data set's own. The encoder's training mode is restored afterwards. The result belongs to
    /// the caller's current <see cref="TensorScope"/> (or to none).
    /// </summary>
    public static Tensor Extract(Module encoder, ResidentDataset data, int batchSize, int? imageSize = null,
                                 Normalization? normalization = null, IReadOnlyList<int>? indices = null)
        => ExtractWithHead(encoder, null, data, batchSize, imageSize, normalization, indices).Features;

    /// <summary>
    /// One pass over the images giving the encoder's features [M, F] and, when <paramref name="head"/>
    /// is given and returns a tensor, the head's output for them [M, P] (e.g. <see cref="Methods.ContrastiveMethod.Project"/>;
    /// the caller puts the head in eval mode). Rows are L2-normalised when <paramref name="normalize"/>
    /// (the raw encoder output otherwise, as a linear probe trains on). Otherwise as
    /// <see cref="Extract(Module, ResidentDataset, int, int?, Normalization?, IReadOnlyList{int}?)"/>;
    /// both results belong to the caller's current scope.
    /// </summary>
    public static (Tensor Features, Tensor? Head) ExtractWithHead(Module encoder, Func<Tensor, Tensor?>? head, ResidentDataset data, int batchSize,
                                                                  int? imageSize = null, Normalization? normalization = null,
                                                                  IReadOnlyList<int>? indices = null, bool normalize = true)
    {
        var dataset = data.Dataset;
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"FeatureExtractor: batch size must be > 0, got {batchSize}.");
        int[] order = indices?.ToArray() ?? Enumerable.Range(0, dataset.Count).ToArray();
        if (order.Length == 0) throw new ArgumentException($"FeatureExtractor: no images of {dataset.Name} to extract.");
        int size = imageSize ?? dataset.Height;
        if (imageSize is null && dataset.Height != dataset.Width)
            throw new ArgumentException($"FeatureExtractor: {dataset.Name} images are {dataset.Height}×{dataset.Width}; give imageSize for the square eval resize.");
        var config = AugmentationConfig.Eval(size, normalization ?? dataset.Normalization);
        int n = order.Length;
        var backend = data.Backend;

        bool wasTraining = encoder.IsTraining;
        encoder.Eval();
        using var noGrad = Tape.NoGrad();
        Tensor? result = null, projected = null;
        try
        {
            for (int start = 0; start < n; start += batchSize)
            {
                int count = Math.Min(batchSize, n - start);
                using var scope = TensorScope.Begin();
                var x = data.Augment(order.AsSpan(start, count), config, 0, 0);
                var h = encoder.Forward(x);
                if (h.Rank != 2) h = Ops.Flatten(h);
                Put(normalize ? Ops.L2Normalize(h) : h, ref result, start, scope, "features");
                if (head is not null)
                {
                    // A method without a head returns null: there is nothing after the encoder to extract.
                    if (head(h) is Tensor z)
                    {
                        if (z.Rank != 2) z = Ops.Flatten(z);
                        Put(normalize ? Ops.L2Normalize(z) : z, ref projected, start, scope, "head outputs");
                    }
                }
            }
        }
        catch
        {
            result?.Dispose();
            projected?.Dispose();
            throw;
        }
        finally
        {
            encoder.Train(wasTraining);
        }
        try
        {
            RequireFinite(result!, "the encoder's features", dataset.Name, order);
            if (projected is not null) RequireFinite(projected, "the head's features", dataset.Name, order);
        }
        catch
        {
            result?.Dispose();
            projected?.Dispose();
            throw;
        }
        return (result!, projected);

        void Put(Tensor f, ref Tensor? into, int start, TensorScope scope, string what)
        {
            int d = f.Dim(1);
            if (into is null) into = scope.Keep(Tensor.Empty(backend, n, d));
            else if (into.Dim(1) != d) throw new InvalidOperationException($"FeatureExtractor: {d} {what} per image, earlier batches {into.Dim(1)}.");
            backend.CopyBlocks(f, 0, f.Length, into, (long)start * d, f.Length, f.Length, 1);
        }
    }

    /// <summary>
    /// Throws <see cref="NonFiniteFeaturesException"/> naming the images whose rows of
    /// <paramref name="features"/> [M, D] hold a NaN or an infinity (weights that are finite can
    /// still overflow; scored, such features would look like a perfect kNN).
    /// </summary>
    private static void RequireFinite(Tensor features, string what, string dataset, int[] order)
    {
        if (NonFinite.FindFirst([(what, features)]) is null) return;
        var values = features.ToArray();
        int d = features.Dim(1);
        long first = NonFinite.FirstIndex(values);
        if (first < 0) return;
        int rows = 0;
        for (int r = 0; r < order.Length; r++)
            if (NonFinite.FirstIndex(values.AsSpan(r * d, d)) >= 0) rows++;
        throw new NonFiniteFeaturesException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{what} of {rows} of {order.Length} {dataset} images are not finite (first: {NonFinite.Show(values[first])} in image {order[first / d]})"));
    }

    /// <summary>
    /// Features [N, D] of a data set not yet on <paramref name="backend"/>: it is uploaded for the
    /// call (see the other overload).
    /// </summary>
    public static Tensor Extract(Module encoder, ImageDataset dataset, IBackend backend, int batchSize,
                                 int? imageSize = null, Normalization? normalization = null)
    {
        if (dataset.Count == 0) throw new ArgumentException($"FeatureExtractor: {dataset.Name} has no images.");
        using var data = new ResidentDataset(dataset, backend);
        return Extract(encoder, data, batchSize, imageSize, normalization);
    }
}
