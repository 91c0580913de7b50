using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Eval;

/// <summary>
/// Encoder features of a whole data set for kNN evaluation and linear probes: images go
/// through the evaluation path of the loader (<see cref="BatchFiller.FillEval"/> with
/// <see cref="AugmentationConfig.Eval"/>: no randomness, resize to S×S when needed, the data
/// set's normalisation), the encoder runs in eval mode without recording, and each feature
/// row is L2-normalised.
/// </summary>
public static class FeatureExtractor
{
    /// <summary>
    /// Features [N, D] (unit rows) in data-set order. <paramref name="imageSize"/> defaults to the
    /// data set's height (square images); <paramref name="normalization"/> to the data set's own.
    /// The encoder's training mode is restored afterwards. The result belongs to the caller's
    /// current <see cref="TensorScope"/> (or to none).
    /// </summary>
    public static Tensor Extract(Module encoder, ImageDataset dataset, IBackend backend, int batchSize,
                                 int? imageSize = null, Normalization? normalization = null)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"FeatureExtractor: batch size must be > 0, got {batchSize}.");
        if (dataset.Count == 0) throw new ArgumentException($"FeatureExtractor: {dataset.Name} has no images.");
        int size = imageSize ?? dataset.Height;
        if (imageSize is null && dataset.Height != dataset.Width)
            throw new ArgumentException($"FeatureExtractor: {dataset.Name} images are {dataset.Height}×{dataset.Width}; give imageSize for the square eval resize.");
        var config = AugmentationConfig.Eval(size, normalization ?? dataset.Normalization);
        int c = dataset.Channels, per = c * size * size, n = dataset.Count;
        var host = new float[(long)Math.Min(batchSize, n) * per];
        var indices = new int[Math.Min(batchSize, n)];

        bool wasTraining = encoder.IsTraining;
        encoder.Eval();
        using var noGrad = Tape.NoGrad();
        Tensor? result = null;
        try
        {
            for (int start = 0; start < n; start += batchSize)
            {
                int count = Math.Min(batchSize, n - start);
                for (int i = 0; i < count; i++) indices[i] = start + i;
                BatchFiller.FillEval(dataset, indices.AsSpan(0, count), config, host);
                using var scope = TensorScope.Begin();
                var x = Tensor.FromArray(backend, host.AsSpan(0, count * per), count, c, size, size);
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
}
