using System.Security.Cryptography;
using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Training.Checkpointing;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Runs;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Inference;

/// <summary>
/// A trained checkpoint loaded for inference: the method rebuilt from the checkpoint's configuration
/// through its registry entry (so the head is the method's own), its modules' parameters and buffers
/// loaded (names and shapes checked; the method's state — bank, queue — is not needed and not read),
/// everything in eval mode on the chosen device. It also knows how its inputs must look: channels,
/// square side and the training normalisation (the data set's published statistics; for an image
/// folder those of its training images, as the run computed them).
/// </summary>
public sealed class InferenceModel : IDisposable
{
    private readonly IDisposable precisionScope;

    private InferenceModel(TrainingCheckpoint checkpoint, ContrastiveMethod method, IBackend backend, string device, Normalization normalization,
                           Kernels.Families.Precision precision, IDisposable precisionScope)
    {
        Precision = precision;
        this.precisionScope = precisionScope;
        Checkpoint = checkpoint;
        Method = method;
        Backend = backend;
        Device = device;
        Normalization = normalization;
    }

    public TrainingCheckpoint Checkpoint { get; }

    /// <summary>The rebuilt method (encoder and heads), in eval mode.</summary>
    public ContrastiveMethod Method { get; }

    public Module Encoder => Method.Encoder;

    /// <summary>The method's head (<see cref="ContrastiveMethod.Head"/>), null for a method without one.</summary>
    public Module? Head => Method.Head;

    public IBackend Backend { get; }

    public string Device { get; }

    /// <summary>The convolutions' precision the backend runs at while this model is loaded (<see cref="Precisions"/>).</summary>
    public Kernels.Families.Precision Precision { get; }

    public string Arch => Checkpoint.Arch;

    public string MethodName => Method.Name;

    public int InChannels => Checkpoint.InChannels;

    /// <summary>Square side of the images the encoder was trained on (inputs are resized to it).</summary>
    public int ImageSize => Checkpoint.ImageSize;

    /// <summary>The training normalisation y = (x/255 − mean)/std per channel.</summary>
    public Normalization Normalization { get; }

    /// <summary>Width of the encoder's features.</summary>
    public int FeatureDim => ((Models.Encoder)Method.Encoder).FeatureDim;

    /// <summary>
    /// Loads <paramref name="checkpointPath"/> (a checkpoint file or a run folder) onto
    /// <paramref name="device"/> (cpu, emu, cuda; null: the device the run was trained on) at
    /// <paramref name="precision"/> (fp32, tf32, bf16; null: the device's default, <see cref="Precisions.DefaultFor"/>),
    /// which the backend keeps until the model is disposed. Throws <see cref="CheckpointFormatException"/> naming the file for anything that does not fit.
    /// </summary>
    public static InferenceModel Load(string checkpointPath, string? device = null, string? precision = null)
    {
        var ckpt = TrainingCheckpoint.Read(RunFolder.ResolveCheckpoint(checkpointPath));
        string dev = device ?? ckpt.Config.Device;
        var p = Precisions.Resolve(precision, dev);
        var backend = Devices.Create(dev);
        var config = ckpt.Config with { Arch = ckpt.Arch, Device = dev };
        if (ckpt.ImageSize <= 0) throw new CheckpointFormatException(ckpt.Path, $"expected metadata image_size > 0, found {ckpt.ImageSize}.");
        // Only the modules are loaded, so the method is built for a one-image data set (NPID's bank is
        // sized by it); label-trained methods need the class count their head was made for.
        var method = RunComponents.CreateMethod(config, ckpt.InChannels, dataSize: 1, backend, numClasses: ClassCount(config));
        IDisposable? scope = null;
        try
        {
            ckpt.RestoreModules(method);
            method.Train(false);
            var normalization = TrainingNormalization(config, ckpt);
            scope = Precisions.Use(backend, p);
            return new InferenceModel(ckpt, method, backend, dev, normalization, p, scope);
        }
        catch
        {
            scope?.Dispose();
            method.Dispose();
            throw;
        }
    }

    /// <summary>SHA-256 of the checkpoint file (lower-case hex), stored in embedding files so a search can tell the model matches.</summary>
    public string ChecksumSha256() => FileSha256(Checkpoint.Path);

    public static string FileSha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>The statistics the run normalised with: the catalog's, or for a folder those of its training images.</summary>
    private static Normalization TrainingNormalization(TrainingConfig config, TrainingCheckpoint ckpt)
    {
        if (DatasetCatalog.NormalizationFor(config.Dataset) is { } known) return known;
        try
        {
            return RunComponents.LoadTrain(config, config.Limit).Normalization;
        }
        catch (Exception e) when (e is DataFormatException or ArgumentException or IOException)
        {
            throw new CheckpointFormatException(ckpt.Path,
                $"the run was trained on the image folder {config.DataPath ?? "(none)"}, whose images give the normalisation; it cannot be read ({e.Message}).");
        }
    }

    /// <summary>Classes of the training set for methods whose head has one output per class (0: unknown, unlabeled).</summary>
    private static int ClassCount(TrainingConfig config)
    {
        switch (DatasetCatalog.Canonical(config.Dataset))
        {
            case "fashion-mnist": return MnistReader.FashionClassNames.Count;
            case "mnist": return MnistReader.DigitClassNames.Count;
            case "cifar10": return CifarReader.Cifar10ClassNames.Count;
            case "cifar100": return 100;
            case "stl10": return Stl10Reader.ClassNames.Count;
            default:
                if (config.DataPath is not string root || !Directory.Exists(root)) return 0;
                string train = Path.Combine(root, "train");
                return Directory.GetDirectories(Directory.Exists(train) ? train : root).Length;
        }
    }

    public void Dispose()
    {
        Method.Dispose();
        precisionScope.Dispose();
    }
}
