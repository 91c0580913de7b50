using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Eval;

/// <summary>
/// Encoder features of a data set for kNN evaluation and linear probes: images go through the
/// evaluation path of the augmentation (<see cref="AugmentationConfig.Eval"/>: no randomness,
/// resize to S×S when needed, the data set's normalisation) on the backend that holds them,
/// the encoder runs in eval mode without recording, and each feature row is L2-normalised.
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
        Tensor? result = null;
        try
        {
            for (int start = 0; start < n; start += batchSize)
            {
                int count = Math.Min(batchSize, n - start);
                using var scope = TensorScope.Begin();
                var x = data.Augment(order.AsSpan(start, count), config, 0, 0);
                var h = encoder.Forward(x);
                if (h.Rank != 2) h = Ops.Flatten(h);
                var f = Ops.L2Normalize(h);
                int d = f.Dim(1);
                if (result is null) result = scope.Keep(Tensor.Empty(backend, n, d));
                else if (result.Dim(1) != d) throw new InvalidOperationException($"FeatureExtractor: the encoder gave {d} features, earlier batches {result.Dim(1)}.");
                backend.CopyBlocks(f, 0, f.Length, result, (long)start * d, f.Length, f.Length, 1);
            }
        }
        catch
        {
            result?.Dispose();
            throw;
        }
        finally
        {
            encoder.Train(wasTraining);
        }
        return result!;
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
