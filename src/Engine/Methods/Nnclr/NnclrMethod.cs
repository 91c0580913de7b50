using System.Globalization;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Methods.Nnclr;

/// <summary>
/// NNCLR (Dwibedi et al. 2021, "With a Little Help from My Friends: Nearest-Neighbor Contrastive
/// Learning of Visual Representations"), as the Keras example (seed 003):
/// <list type="number">
/// <item>Both views through the encoder together (rows 0..B−1 view 0, B..2B−1 view 1, so batch norm
/// sees both) and the projection head; p = L2-normalise(projection), [2B, D].</item>
/// <item>Nearest neighbour of every p in the support set Q (<see cref="SupportSet.Nearest"/>: similarity
/// GEMM and the top-1 of each row), gathered and used straight-through: nn(p) = p + sg(NN(p) − p)
/// (<see cref="Ops.StraightThrough"/>: the forward value is the neighbour, the gradient goes to p).</item>
/// <item>Four cross-entropy terms over τ with the batch index as the class, as the example's
/// contrastive_loss: rows nn(p₁)·p₂ᵀ, p₂·nn(p₁)ᵀ, nn(p₂)·p₁ᵀ, p₁·nn(p₂)ᵀ (each [B, B]) stacked into
/// [4B, B] and scored by the fused InfoNCE rows primitive (all columns candidates); L = the mean over
/// the 4B rows (the example's reported c_loss; its tape differentiates the sum of the 4B terms,
/// which Adam makes equivalent up to ε). With --nnclr-predictor, the non-neighbour side is the
/// prediction q = L2-normalise(predictor(projection)) of the other view, as in the paper.</item>
/// <item>After the optimiser step the support set takes view 0's p (and the samples' classes).</item>
/// </list>
/// Per epoch (<see cref="NnclrMetrics"/>): contrastive_acc, correlation_acc (on the encoder
/// features, as the example) and nn_label_acc. Checkpoint: "encoder.", "projector.",
/// "predictor." (when on), "nnclr_queue", "nnclr_queue_labels" and the queue position
/// "nnclr.queue_next".
/// </summary>
public sealed class NnclrMethod : ContrastiveMethod
{
    public const string QueueNextKey = "nnclr.queue_next";

    private readonly NnclrMetrics metrics = new();
    private Tensor? pending;      // view 0's p of the last Loss call, [B, D], owned
    private int[]? pendingLabels;
    private int[]? pendingIndices;

    public NnclrMethod(Module encoder, Module projector, Module? predictor, int projectionDim, NnclrOptions options, IBackend backend, ulong seed)
        : base(encoder)
    {
        Projector = projector ?? throw new ArgumentNullException(nameof(projector));
        Predictor = predictor;
        Options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
        if (options.Predictor != (predictor is not null))
            throw new ArgumentException($"NNCLR: --nnclr-predictor is {(options.Predictor ? "on" : "off")} but a predictor was {(predictor is null ? "not " : "")}given.");
        Support = new SupportSet(backend, options.QueueSize, projectionDim);
        Support.InitializeRandom(seed);
    }

    public override string Name => "nnclr";

    public override int ViewCount => 2;

    public Module Projector { get; }

    /// <summary>The projector: its output (before normalisation) is the embedding after the head.</summary>
    public override Module? Head => Projector;

    /// <summary>The prediction MLP, or null (the default, as the Keras example).</summary>
    public Module? Predictor { get; }

    public NnclrOptions Options { get; }

    public SupportSet Support { get; }

    protected override IEnumerable<(string Prefix, Module Module)> Modules()
    {
        yield return ("encoder.", Encoder);
        yield return ("projector.", Projector);
        if (Predictor is not null) yield return ("predictor.", Predictor);
    }

    protected override IEnumerable<(string Name, Tensor Tensor)> MethodState()
    {
        yield return (Support.Rows.Name!, Support.Rows);
        yield return (Support.Labels.Name!, Support.Labels);
    }

    public override Tensor Loss(TrainingBatch batch, StepInfo step)
    {
        if (batch.Views.Length != 2) throw new ArgumentException($"NNCLR needs 2 views per sample, the batch has {batch.Views.Length}.");
        int b = batch.Size;
        if (b > Support.Size)
            throw new ArgumentException($"NNCLR: the batch ({b}) is larger than the support set (--queue-size {Support.Size}).");
        var h = Encoder.Forward(Ops.Concat(0, batch.Views[0], batch.Views[1]));
        if (h.Rank != 2) h = Ops.Flatten(h);
        var z = Projector.Forward(h);
        var p = Ops.L2Normalize(z);                                      // [2B, D]

        var index = Support.Nearest(p);                                  // [2B], no gradient
        var neighbours = Ops.StraightThrough(p, Support.Gather(index));  // value NN(p), gradient to p
        var other = Predictor is null ? p : Ops.L2Normalize(Predictor.Forward(z));

        var loss = FourTermLoss(neighbours, other, Options.Temperature);

        using (Tape.NoGrad())
        {
            metrics.Add(Ops.Slice(h, 0, 0, b), Ops.Slice(h, 0, b, b), Support.GatherLabels(index), batch.Labels);
            KeepForQueue(Ops.Slice(p, 0, 0, b), batch);
        }
        return loss;
    }

    /// <summary>
    /// The Keras example's contrastive_loss for nn = [nn(p₁); nn(p₂)] and p = [p₁; p₂] ([2B, D] each, view 0
    /// rows first): the [B, B] blocks nn(p₁)·p₂ᵀ, p₂·nn(p₁)ᵀ, nn(p₂)·p₁ᵀ, p₁·nn(p₂)ᵀ over τ, stacked into
    /// [4B, B], each row a B-way classification whose answer is its own row index within the block;
    /// the mean of the 4B cross-entropies (fused InfoNCE rows, no column excluded).
    /// </summary>
    public static Tensor FourTermLoss(Tensor neighbours, Tensor other, float temperature)
    {
        ShapeUtil.RequireSame("NNCLR loss", neighbours, other);
        if (neighbours.Rank != 2 || neighbours.Dim(0) % 2 != 0 || neighbours.Dim(0) == 0)
            throw new ArgumentException($"NNCLR loss: expected [2B, D] rows (view 0 then view 1), got {ShapeUtil.Format(neighbours.Shape)}.");
        int b = neighbours.Dim(0) / 2;
        var nn1 = Ops.Slice(neighbours, 0, 0, b);
        var nn2 = Ops.Slice(neighbours, 0, b, b);
        var p1 = Ops.Slice(other, 0, 0, b);
        var p2 = Ops.Slice(other, 0, b, b);
        var s12 = Ops.MatMul(nn1, p2, transB: true);                     // nn(p₁)·p₂ᵀ
        var s21 = Ops.MatMul(nn2, p1, transB: true);                     // nn(p₂)·p₁ᵀ
        var logits = Ops.Concat(0, s12, Ops.Transpose(s12), s21, Ops.Transpose(s21));   // [4B, B]
        var positives = new int[4 * b];
        for (int i = 0; i < positives.Length; i++) positives[i] = i % b;
        return Ops.Mean(Ops.InfoNce(logits, IntTensor.FromArray(neighbours.Backend, positives), temperature, excludeSelf: false));
    }

    /// <summary>Copies view 0's p (no gradient) for the support-set update after the optimiser step.</summary>
    private void KeepForQueue(Tensor p1, TrainingBatch batch)
    {
        using var suspend = TensorScope.Suspend();
        if (pending is null || !pending.Shape.SequenceEqual(p1.Shape))
        {
            pending?.Dispose();
            pending = p1.EmptyLike();
        }
        p1.Backend.Copy(p1, pending);
        pendingLabels = (int[])batch.Labels.Clone();
        pendingIndices = (int[])batch.Indices.Clone();
    }

    /// <summary>The support set takes view 0's projections of the last <see cref="Loss"/> (the example's feature_queue.assign).</summary>
    public override void AfterOptimizerStep(TrainingBatch batch, StepInfo step)
    {
        if (pending is null || pendingLabels is null || pendingIndices is null)
            throw new InvalidOperationException("NNCLR: AfterOptimizerStep called without a preceding Loss on this batch.");
        if (!pendingIndices.AsSpan().SequenceEqual(batch.Indices))
            throw new InvalidOperationException("NNCLR: AfterOptimizerStep got a different batch from the one the last Loss saw.");
        Support.Push(pending, pendingLabels);
        pendingIndices = null;
    }

    public override void DrainMetrics() => metrics.Drain();

    public override MethodEpochReport EndEpoch(EpochLosses losses) => new(metrics.Take(), []);

    public override IReadOnlyDictionary<string, string> StateMetadata() => new Dictionary<string, string>
    {
        [QueueNextKey] = Support.Next.ToString(CultureInfo.InvariantCulture),
    };

    public override void LoadStateMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(QueueNextKey, out var text) || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int next) || next >= Support.Size)
            throw new FormatException($"NNCLR: expected the support set's position '{QueueNextKey}' as an integer in 0..{Support.Size - 1}, found '{text ?? "nothing"}'.");
        Support.Restore(next);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Support.Dispose();
        pending?.Dispose();
        metrics.Clear();
    }
}
