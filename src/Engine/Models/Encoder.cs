using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Models;

/// <summary>
/// A backbone that maps images [N, C, H, W] to feature vectors [N, <see cref="FeatureDim"/>]
/// (the representation that kNN and linear probes evaluate; heads sit on top of it).
/// Subclasses implement <see cref="Encode"/>; <see cref="Forward"/> also hands each output to
/// <see cref="OutputObserver"/> when one is set — how the trainer's online linear probe sees the
/// features a method computed without the method doing anything for it.
/// </summary>
public abstract class Encoder(IBackend backend) : Module(backend)
{
    /// <summary>Width of the output features.</summary>
    public abstract int FeatureDim { get; }

    /// <summary>The architecture name as <see cref="ModelFactory.Architectures"/> lists it (saved in checkpoints as "arch").</summary>
    public abstract string Arch { get; }

    /// <summary>Called with every output of <see cref="Forward"/> while set (the tensor as returned, on the tape when recording).</summary>
    public Action<Tensor>? OutputObserver { get; set; }

    public sealed override Tensor Forward(Tensor x)
    {
        var h = Encode(x);
        OutputObserver?.Invoke(h);
        return h;
    }

    /// <summary>The features [N, FeatureDim] of images x.</summary>
    protected abstract Tensor Encode(Tensor x);
}
