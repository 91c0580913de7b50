using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Eval;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Inference;

/// <summary>
/// Embeddings of images with a loaded model: the evaluation path of the augmentation (resize to the
/// model's side, the training normalisation) on the model's device, the encoder in eval mode without
/// recording, batch after batch, giving the encoder's features and the head's outputs as they are
/// (not normalised; cosine search normalises).
/// </summary>
public static class Embedder
{
    public const int DefaultBatchSize = 256;

    /// <summary>
    /// Embeds every image of <paramref name="input"/>; <paramref name="progress"/> gets (images done, total)
    /// after each batch. The result carries the sources, labels, class names and the model's description.
    /// </summary>
    public static EmbeddingSet Embed(InferenceModel model, EmbeddingInput input, int batchSize = DefaultBatchSize,
        Action<int, int>? progress = null, CancellationToken cancellation = default)
    {
        var images = input.Images;
        if (images.Channels != model.InChannels)
            throw new ArgumentException($"{images.Name}: images have {images.Channels} channel(s), the model {model.Arch} of {model.Checkpoint.Path} takes {model.InChannels}.");
        var (features, head) = Run(model, images, batchSize, progress, cancellation);
        var meta = Describe(model);
        foreach (var (k, v) in input.Origin) meta[k] = v;
        return new EmbeddingSet(images.Count, features, model.FeatureDim, head, head is null ? 0 : head.Length / Math.Max(1, images.Count),
            images.Labels.ToArray(), input.Sources, images.ClassNames, meta);
    }

    /// <summary>What an embedding file records about the model that made it (with "weights" = ema|swa for averaged weights).</summary>
    public static Dictionary<string, string> Describe(InferenceModel model)
    {
        var meta = Model(model);
        if (model.Checkpoint.Meta.TryGetValue(Training.Checkpointing.TrainingCheckpoint.WeightsKey, out var weights)) meta["weights"] = weights;
        return meta;
    }

    private static Dictionary<string, string> Model(InferenceModel model) => new()
    {
        [EmbeddingSet.FormatKey] = EmbeddingSet.FormatValue,
        ["checkpoint"] = Path.GetFullPath(model.Checkpoint.Path),
        ["checkpoint_sha256"] = model.ChecksumSha256(),
        ["method"] = model.MethodName,
        ["arch"] = model.Arch,
        ["trained_on"] = model.Checkpoint.Config.Dataset,
        ["image_size"] = model.ImageSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["in_channels"] = model.InChannels.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["device"] = model.Device,
    };

    /// <summary>Encoder features [N·F] and head outputs [N·P] (null without a head) of a data set, batch by batch.</summary>
    public static (float[] Features, float[]? Head) Run(InferenceModel model, ImageDataset images, int batchSize,
        Action<int, int>? progress = null, CancellationToken cancellation = default)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batch size must be > 0, got {batchSize}.");
        if (images.Count == 0) throw new ArgumentException($"{images.Name}: no images to embed.");
        int n = images.Count, f = model.FeatureDim;
        var features = new float[(long)n * f];
        float[]? head = null;
        using var data = new ResidentDataset(images, model.Backend);
        for (int start = 0; start < n; start += batchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            int count = Math.Min(batchSize, n - start);
            using var scope = TensorScope.Begin();
            var (h, z) = FeatureExtractor.ExtractWithHead(model.Encoder, model.Method.Project, data, batchSize, model.ImageSize,
                model.Normalization, Enumerable.Range(start, count).ToArray(), normalize: false);
            h.ToArray().CopyTo(features, (long)start * f);
            if (z is not null)
            {
                head ??= new float[(long)n * z.Dim(1)];
                z.ToArray().CopyTo(head, (long)start * z.Dim(1));
            }
            h.Dispose();
            z?.Dispose();
            progress?.Invoke(start + count, n);
        }
        return (features, head);
    }

    /// <summary>
    /// Features and head outputs of images already resized and normalised: <paramref name="input"/> is
    /// [count, C, S, S] float (C, S: the model's channels and side), row-major.
    /// </summary>
    public static (float[] Features, float[]? Head) RunNormalized(InferenceModel model, ReadOnlySpan<float> input, int count)
    {
        int c = model.InChannels, s = model.ImageSize;
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), $"count must be > 0, got {count}.");
        if (input.Length != (long)count * c * s * s)
            throw new ArgumentException($"expected {count}×{c}×{s}×{s} = {(long)count * c * s * s} floats, got {input.Length}.");
        using var noGrad = Tape.NoGrad();
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(model.Backend, input, count, c, s, s);
        var h = model.Encoder.Forward(x);
        if (h.Rank != 2) h = Ops.Flatten(h);
        var z = model.Method.Project(h);
        return (h.ToArray(), z?.ToArray());
    }
}
