using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Losses;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Methods.SimClr;

/// <summary>
/// SimCLR (Chen et al. 2020): two augmented views of each image go through the shared
/// encoder f and projection head g, z = g(f(x)), and NT-Xent (<see cref="NtXentLoss"/>)
/// makes the two views of a sample each other's positive among the 2N−2 other projections
/// of the batch. The views are concatenated along the batch before the encoder, rows
/// 0..N−1 view 0 and N..2N−1 view 1 (so batch-norm statistics span both views, as in the
/// reference implementation), which is exactly the row pairing NT-Xent expects.
/// </summary>
public sealed class SimClrMethod : ContrastiveMethod
{
    public SimClrMethod(Module encoder, Module projector, SimClrOptions options) : base(encoder)
    {
        Projector = projector ?? throw new ArgumentNullException(nameof(projector));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
    }

    public override string Name => "simclr";

    public override int ViewCount => 2;

    /// <summary>The MLP head g; its output z is what NT-Xent compares.</summary>
    public Module Projector { get; }

    public SimClrOptions Options { get; }

    protected override IEnumerable<(string Prefix, Module Module)> Modules()
    {
        yield return ("encoder.", Encoder);
        yield return ("projector.", Projector);
    }

    /// <summary>z [2N, P] for the two views (rows i and i+N: the two views of sample i).</summary>
    public Tensor Project(TrainingBatch batch)
    {
        if (batch.Views.Length != 2) throw new ArgumentException($"SimCLR needs 2 views per sample, the batch has {batch.Views.Length}.");
        var x = Ops.Concat(0, batch.Views[0], batch.Views[1]);
        var h = Encoder.Forward(x);
        if (h.Rank != 2) h = Ops.Flatten(h);
        return Projector.Forward(h);
    }

    /// <summary>z = projector(h) for encoder features h [B, F].</summary>
    public override Module? Head => Projector;

    public override Tensor Loss(TrainingBatch batch, StepInfo step) => NtXentLoss.Compute(Project(batch), Options.Temperature);
}
