using System.Globalization;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Methods.Swav;

/// <summary>
/// SwAV (Caron et al. 2020, "Unsupervised Learning of Visual Features by Contrasting Cluster
/// Assignments"), as the official implementation (facebookresearch/swav, main_swav.py):
/// <list type="number">
/// <item>Views: the multi-crop plan's groups; the encoder runs once per resolution group (the group's
/// views concatenated along the batch), the projection head once over all of them:
/// z = normalise(projector(encoder(x))) [V·B, D].</item>
/// <item>Scores against the K prototypes c_k (rows of a bias-free linear layer, unit length):
/// s = z·Cᵀ [V·B, K].</item>
/// <item>Codes for each of the two full-size views i ∈ {0, 1}, without gradient: the view's scores,
/// preceded by the queue's scores when the queue is full, through Sinkhorn-Knopp
/// (<see cref="Ops.SinkhornCodes"/>, ε, 3 iterations); q_i = the last B rows (eq. 3, the equal
/// partition of the samples over the prototypes).</item>
/// <item>Swapped prediction (eq. 1–2): view i's code predicts every other view v's
/// p_v = softmax(s_v/τ): ℓ_i = 1/(V−1) Σ_{v≠i} −(1/B) Σ_b Σ_k q_ibk log p_vbk; L = (ℓ_0 + ℓ_1)/2.</item>
/// <item>The queue then takes the batch's z of views 0 and 1 (filled from --queue-start-epoch).</item>
/// <item>The prototypes get no update during the first --freeze-prototypes-iters optimiser steps
/// (<see cref="BeforeOptimizerStep"/>), and are renormalised to unit rows after every step.</item>
/// </list>
/// Checkpoint: "encoder.", "projector.", "prototypes.weight", "swav_queue.0/1" and the queue's counters.
/// </summary>
public sealed class SwavMethod : ContrastiveMethod
{
    public const string QueueNextKey = "swav.queue_next", QueueFilledKey = "swav.queue_filled";

    private const int AssignedViews = 2;   // crops_for_assign = [0, 1]
    private readonly CodeStatistics statistics;
    private readonly HashSet<Tensor> frozen;

    public SwavMethod(Module encoder, Module projector, Linear prototypes, MultiCropPlan plan, SwavOptions options, int batchSize)
        : base(encoder)
    {
        Projector = projector ?? throw new ArgumentNullException(nameof(projector));
        Prototypes = prototypes ?? throw new ArgumentNullException(nameof(prototypes));
        Plan = plan ?? throw new ArgumentNullException(nameof(plan));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
        if (prototypes.Bias is not null) throw new ArgumentException("SwAV: the prototypes are a linear layer without bias.");
        if (prototypes.OutFeatures != options.Prototypes)
            throw new ArgumentException($"SwAV: expected {options.Prototypes} prototypes, the layer has {prototypes.OutFeatures}.");
        int queueRows = options.QueueLength / batchSize * batchSize;
        if (queueRows > 0) Queue = new FeatureQueue(prototypes.Weight.Backend, AssignedViews, queueRows, batchSize, prototypes.InFeatures);
        statistics = new CodeStatistics(prototypes.Weight.Backend, options.Prototypes);
        frozen = [prototypes.Weight];
        NormalizePrototypes();
    }

    public override string Name => SwavDefinition.MethodName;

    public override int ViewCount => Plan.ViewCount;

    public Module Projector { get; }

    /// <summary>The projector: its output (before normalisation) is the embedding after the head.</summary>
    public override Module? Head => Projector;

    /// <summary>C, [K, D]: the prototype vectors as the rows of a bias-free linear layer.</summary>
    public Linear Prototypes { get; }

    public MultiCropPlan Plan { get; }

    public SwavOptions Options { get; }

    /// <summary>The feature queue, or null when --queue-length rounds to 0 for this batch size.</summary>
    public FeatureQueue? Queue { get; }

    protected override IEnumerable<(string Prefix, Module Module)> Modules()
    {
        yield return ("encoder.", Encoder);
        yield return ("projector.", Projector);
        yield return ("prototypes.", Prototypes);
    }

    protected override IEnumerable<(string Name, Tensor Tensor)> MethodState()
    {
        if (Queue is null) yield break;
        for (int v = 0; v < Queue.Views; v++) yield return ($"swav_queue.{v}", Queue.Rows(v));
    }

    /// <summary>z for every view, [V·B, D] (rows v·B … v·B + B − 1: view v), unit rows.</summary>
    public Tensor Embed(TrainingBatch batch)
    {
        if (batch.Views.Length != Plan.ViewCount)
            throw new ArgumentException($"SwAV: the multi-crop plan has {Plan.ViewCount} views per sample, the batch has {batch.Views.Length}.");
        var features = new List<Tensor>();
        int at = 0;
        foreach (var group in Plan.Groups)
        {
            var views = batch.Views[at..(at + group.Count)];
            var x = views.Length == 1 ? views[0] : Ops.Concat(0, views);
            var h = Encoder.Forward(x);
            features.Add(h.Rank == 2 ? h : Ops.Flatten(h));
            at += group.Count;
        }
        var f = features.Count == 1 ? features[0] : Ops.Concat(0, [.. features]);
        return Ops.L2Normalize(Projector.Forward(f));
    }

    public override Tensor Loss(TrainingBatch batch, StepInfo step)
    {
        int b = batch.Size, views = Plan.ViewCount;
        var z = Embed(batch);
        var scores = Ops.MatMul(z, Prototypes.Weight, transB: true);   // [V·B, K]
        bool fillQueue = Queue is not null && step.Epoch >= Options.QueueStartEpoch;
        if (fillQueue && b != Queue!.BatchSize)
            throw new InvalidOperationException($"SwAV: the queue holds blocks of {Queue.BatchSize} samples, the batch has {b}.");

        Tensor? loss = null;
        var assigned = new Tensor[AssignedViews];
        for (int i = 0; i < AssignedViews; i++)
        {
            var codes = Codes(Ops.Slice(scores, 0, i * b, b), useQueue: fillQueue && Queue!.IsFull, view: i);
            Tensor? swapped = null;
            for (int v = 0; v < views; v++)
            {
                if (v == i) continue;
                var logits = Ops.Scale(Ops.Slice(scores, 0, v * b, b), 1f / Options.Temperature);
                var term = Ops.SoftCrossEntropy(logits, codes);
                swapped = swapped is null ? term : Ops.Add(swapped, term);
            }
            var li = Ops.Scale(swapped!, 1f / (views - 1));
            loss = loss is null ? li : Ops.Add(loss, li);
            if (fillQueue) assigned[i] = Detached(Ops.Slice(z, 0, i * b, b));
        }
        if (fillQueue) Queue!.Push(assigned);
        return Ops.Scale(loss!, 1f / AssignedViews);
    }

    /// <summary>Sinkhorn-Knopp codes of one view's scores [B, K], with the queue's rows in front when it is in use (no gradient).</summary>
    private Tensor Codes(Tensor viewScores, bool useQueue, int view)
    {
        using var noGrad = Tape.NoGrad();
        int b = viewScores.Dim(0);
        var all = viewScores;
        if (useQueue)
        {
            var queueScores = Ops.MatMul(Queue!.Rows(view), Prototypes.Weight, transB: true);
            all = Ops.Concat(0, queueScores, viewScores);
        }
        var q = Ops.SinkhornCodes(all, Options.Epsilon, Options.SinkhornIterations);
        if (useQueue) q = Ops.Slice(q, 0, all.Dim(0) - b, b);
        statistics.Add(q);
        return q;
    }

    private static Tensor Detached(Tensor x)
    {
        using var noGrad = Tape.NoGrad();
        var copy = x.EmptyLike();
        x.Backend.Copy(x, copy);
        return copy;
    }

    /// <summary>Optimiser steps during which the prototypes get no update: the option, or one epoch for −1.</summary>
    public long FreezeSteps(StepInfo step) => Options.FreezePrototypesIters < 0 ? step.StepsPerEpoch : Options.FreezePrototypesIters;

    /// <summary>The prototypes sit out the first <see cref="FreezeSteps"/> optimiser steps (the official code sets their gradient to None).</summary>
    public override IReadOnlySet<Tensor> BeforeOptimizerStep(StepInfo step) => step.GlobalStep < FreezeSteps(step) ? frozen : NoParameters;

    /// <summary>c_k ← c_k / ‖c_k‖ after every optimiser step.</summary>
    public override void AfterOptimizerStep(TrainingBatch batch, StepInfo step) => NormalizePrototypes();

    private void NormalizePrototypes()
    {
        using var noGrad = Tape.NoGrad();
        using var scope = TensorScope.Begin();
        var w = Prototypes.Weight;
        var copy = w.EmptyLike();
        var norms = Tensor.Empty(w.Backend, w.Dim(0));
        w.Backend.Copy(w, copy);
        w.Backend.L2NormalizeRows(copy, w, norms, w.Dim(0), w.Dim(1), 1e-12f);
    }

    /// <summary>The collapse monitor's statistics and, when the loss sat at ln K all epoch, a warning.</summary>
    public override MethodEpochReport EndEpoch(EpochLosses losses)
    {
        var stats = statistics.Take();
        var warnings = new List<string>();
        double lnK = Math.Log(Options.Prototypes);
        if (losses.Steps > 0 && losses.Min >= 0.99 * lnK && losses.Max <= 1.01 * lnK)
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"SwAV's loss stayed at ln K = {lnK:0.###} for the whole epoch ({losses.Min:0.###}–{losses.Max:0.###}): the predictions are uniform, the run has collapsed or not started learning ({statistics.Describe(stats)}). Try a smaller --lr, a longer --freeze-prototypes-iters or a --queue-length."));
        return new MethodEpochReport(stats, warnings);
    }

    public override IReadOnlyDictionary<string, string> StateMetadata()
    {
        if (Queue is null) return new Dictionary<string, string>();
        return new Dictionary<string, string>
        {
            [QueueNextKey] = Queue.Next.ToString(CultureInfo.InvariantCulture),
            [QueueFilledKey] = Queue.Filled.ToString(CultureInfo.InvariantCulture),
        };
    }

    public override void LoadStateMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        if (Queue is null) return;
        if (!metadata.TryGetValue(QueueNextKey, out var n) || !metadata.TryGetValue(QueueFilledKey, out var f)
            || !int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out int next)
            || !int.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out int filled))
            throw new FormatException($"SwAV: expected the queue counters '{QueueNextKey}' and '{QueueFilledKey}' as non-negative integers.");
        try { Queue.Restore(next, filled); }
        catch (ArgumentException e) { throw new FormatException($"SwAV: queue counters '{QueueNextKey}' = {next}, '{QueueFilledKey}' = {filled}: {e.Message}", e); }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Queue?.Dispose();
        statistics.Dispose();
    }
}
