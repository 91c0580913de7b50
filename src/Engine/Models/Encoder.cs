using NativeContrastive.Engine.Nn;

namespace NativeContrastive.Engine.Models;

/// <summary>
/// A backbone that maps images [N, C, H, W] to feature vectors [N, <see cref="FeatureDim"/>]
/// (the representation that kNN and linear probes evaluate; heads sit on top of it).
/// </summary>
public abstract class Encoder(IBackend backend) : Module(backend)
{
    /// <summary>Width of the output features.</summary>
    public abstract int FeatureDim { get; }

    /// <summary>The architecture name as <see cref="ModelFactory.Architectures"/> lists it (saved in checkpoints as "arch").</summary>
    public abstract string Arch { get; }
}
