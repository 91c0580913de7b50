using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Losses;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Methods.SupCon;

/// <summary>
/// Supervised contrastive learning (Khosla et al. 2020), stage 1 of the seed article: both views
/// through the encoder together (rows 0..N−1 view 0, N..2N−1 view 1) and the projection head,
/// then L_out (<see cref="SupConLoss"/>): every one of the 2N views is an anchor, every other view of
/// its class a positive, the rest of the batch the negatives, over the fused SupCon kernel. Stage 2
/// (a classifier on the frozen encoder) is what `nc knn` and the online probe measure.
/// Needs every training image labelled. Per epoch: supcon_no_positive (anchors without a positive,
/// which contribute nothing; 0 with two views, since each anchor's other view is one) and
/// supcon_positives (mean positives per anchor).
/// </summary>
public sealed class SupConMethod : ContrastiveMethod
{
    public const string NoPositiveColumn = "supcon_no_positive", PositivesColumn = "supcon_positives";

    public static IReadOnlyList<string> MetricNames { get; } = [NoPositiveColumn, PositivesColumn];

    private long anchors, withoutPositive, positives;

    public SupConMethod(Module encoder, Module projector, SupConOptions options) : base(encoder)
    {
        Projector = projector ?? throw new ArgumentNullException(nameof(projector));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
    }

    public override string Name => "supcon";

    public override int ViewCount => 2;

    public Module Projector { get; }

    /// <summary>The projector: its output (before normalisation) is the embedding after the head.</summary>
    public override Module? Head => Projector;

    public SupConOptions Options { get; }

    protected override IEnumerable<(string Prefix, Module Module)> Modules()
    {
        yield return ("encoder.", Encoder);
        yield return ("projector.", Projector);
    }

    public override Tensor Loss(TrainingBatch batch, StepInfo step)
    {
        if (batch.Views.Length != 2) throw new ArgumentException($"SupCon needs 2 views per sample, the batch has {batch.Views.Length}.");
        batch.RequireLabels("supcon");
        var h = Encoder.Forward(Ops.Concat(0, batch.Views[0], batch.Views[1]));
        if (h.Rank != 2) h = Ops.Flatten(h);
        var r = SupConLoss.Compute(Projector.Forward(h), batch.Labels, Options.Temperature);
        anchors += r.Anchors;
        withoutPositive += r.AnchorsWithoutPositive;
        positives += r.Positives;
        return r.Loss;
    }

    public override MethodEpochReport EndEpoch(EpochLosses losses)
    {
        var m = new Dictionary<string, double>();
        if (anchors > 0)
        {
            m[NoPositiveColumn] = withoutPositive;
            m[PositivesColumn] = (double)positives / anchors;
        }
        anchors = withoutPositive = positives = 0;
        return new MethodEpochReport(m, []);
    }
}
