using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Inference;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Api;

/// <summary>
/// A trained encoder (and its method's head) loaded from a NativeContrastive checkpoint, for hosts that
/// embed the engine: load once, then embed image files, decoded pixels or ready float buffers on the
/// chosen device. Inputs are brought to what the encoder was trained on (channels, square side, the
/// training normalisation) the way evaluation does. Not thread-safe: use one instance per thread.
/// </summary>
/// <example>
/// <code>
/// using var encoder = Encoder.Load("runs/x/last.safetensors", "cpu");
/// var e = encoder.EmbedFiles(["a.png", "b.png"]);
/// var nearest = e.Nearest(e.Features(0), k: 1, exclude: 0);
/// </code>
/// </example>
public sealed class Encoder : IDisposable
{
    private readonly InferenceModel model;

    private Encoder(InferenceModel model) => this.model = model;

    /// <summary>
    /// Loads a checkpoint file (or a run folder's newest checkpoint) onto <paramref name="device"/>:
    /// "cpu" (C#, always available), "emu" (the CUDA kernels on the emulated device; needs the emulator's
    /// native library) or "cuda" (an NVIDIA GPU). Throws <see cref="Checkpoints.CheckpointFormatException"/>
    /// for a file that is not a training checkpoint, <see cref="DeviceUnavailableException"/> for a device
    /// that cannot be used here. <paramref name="precision"/>: the convolutions' precision, "fp32", "tf32" or
    /// "bf16" (any case); null: the device's default (tf32 on cuda, fp32 on cpu and emu).
    /// </summary>
    public static Encoder Load(string checkpointPath, string device = "cpu", string? precision = null)
    {
        ArgumentNullException.ThrowIfNull(checkpointPath);
        if (!Devices.Names.Contains(device))
            throw new ArgumentException($"unknown device '{device}'; expected one of: {string.Join(", ", Devices.Names)}.", nameof(device));
        if (precision is not null && !Precisions.TryParse(precision, out _))
            throw new ArgumentException(Precisions.UnknownMessage(precision, "precision") + ".", nameof(precision));
        return new Encoder(InferenceModel.Load(checkpointPath, device, precision));
    }

    /// <summary>The method the encoder was trained with ("simclr", "npid", …).</summary>
    public string Method => model.MethodName;

    /// <summary>Encoder architecture ("small", "resnet18", …).</summary>
    public string Arch => model.Arch;

    /// <summary>The device computations run on.</summary>
    public string Device => model.Device;

    /// <summary>The convolutions' precision: "fp32", "tf32" or "bf16".</summary>
    public string Precision => Precisions.Format(model.Precision);

    /// <summary>Channels of the images the encoder takes (1: grey, 3: RGB).</summary>
    public int InputChannels => model.InChannels;

    /// <summary>Side of the square images the encoder was trained on; inputs are resized to it.</summary>
    public int ImageSize => model.ImageSize;

    /// <summary>Width of the encoder's features.</summary>
    public int FeatureDim => model.FeatureDim;

    /// <summary>True when the method has a head after the encoder (its outputs are in <see cref="Embeddings.Head"/>).</summary>
    public bool HasHead => model.Head is not null;

    /// <summary>Per-channel mean of the training normalisation (pixels/255 units).</summary>
    public IReadOnlyList<float> NormalizationMean => model.Normalization.Mean;

    /// <summary>Per-channel standard deviation of the training normalisation (pixels/255 units).</summary>
    public IReadOnlyList<float> NormalizationStd => model.Normalization.Std;

    /// <summary>
    /// Embeds image files (PNG, JPEG, BMP) and folders of them (class sub-folders give labels), in the
    /// order given (a folder's files sorted by name). Sources are the file paths relative to their common folder.
    /// </summary>
    public Embeddings EmbedFiles(IEnumerable<string> paths, int batchSize = Embedder.DefaultBatchSize)
    {
        var input = EmbeddingInput.FromPaths(paths.ToList(), model.InChannels, model.ImageSize);
        return Embeddings.Of(Embedder.Embed(model, input, batchSize));
    }

    /// <summary>
    /// Embeds decoded images: <paramref name="pixels"/> holds <paramref name="count"/> images of
    /// <paramref name="channels"/> × <paramref name="height"/> × <paramref name="width"/> bytes, planar
    /// (channel after channel, rows top to bottom). Channels must be the encoder's <see cref="InputChannels"/>;
    /// any size is resized to <see cref="ImageSize"/>.
    /// </summary>
    public Embeddings EmbedPixels(ReadOnlySpan<byte> pixels, int count, int channels, int height, int width)
    {
        if (channels != model.InChannels)
            throw new ArgumentException($"the encoder takes {model.InChannels}-channel images, got {channels}.", nameof(channels));
        if (count <= 0 || height <= 0 || width <= 0)
            throw new ArgumentException($"count, height and width must be > 0, got {count}, {height}, {width}.");
        if (pixels.Length != (long)count * channels * height * width)
            throw new ArgumentException($"expected {count}×{channels}×{height}×{width} = {(long)count * channels * height * width} bytes, got {pixels.Length}.", nameof(pixels));
        var ds = new ImageDataset("pixels", channels, height, width, pixels.ToArray(), Enumerable.Repeat(-1, count).ToArray(), []);
        var (f, h) = Embedder.Run(model, ds, Embedder.DefaultBatchSize);
        return new Embeddings(count, f, model.FeatureDim, h, Enumerable.Range(0, count).Select(i => $"#{i}").ToArray());
    }

    /// <summary>
    /// Embeds images that are already resized and normalised: <paramref name="input"/> is
    /// [<paramref name="count"/>, <see cref="InputChannels"/>, <see cref="ImageSize"/>, <see cref="ImageSize"/>]
    /// floats, row-major, each (pixel/255 − mean)/std with <see cref="NormalizationMean"/> and
    /// <see cref="NormalizationStd"/> (what an exported ONNX model takes, too).
    /// </summary>
    public Embeddings EmbedNormalized(ReadOnlySpan<float> input, int count)
    {
        var (f, h) = Embedder.RunNormalized(model, input, count);
        return new Embeddings(count, f, model.FeatureDim, h, Enumerable.Range(0, count).Select(i => $"#{i}").ToArray());
    }

    /// <summary>Writes the encoder (and with <paramref name="withHead"/> the head) as an ONNX model, opset 17.</summary>
    public void ExportOnnx(string path, bool withHead = false) => Onnx.OnnxExporter.Export(model, path, withHead);

    /// <summary>Releases the encoder's tensors.</summary>
    public void Dispose() => model.Dispose();
}
