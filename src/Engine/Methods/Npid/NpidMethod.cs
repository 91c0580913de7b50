using System.Globalization;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Losses;
using NativeContrastive.Engine.Memory;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Methods.Npid;

/// <summary>
/// Instance discrimination with a memory bank (Wu et al. 2018, "Unsupervised Feature
/// Learning via Non-Parametric Instance Discrimination"), following lemniscate.pytorch:
/// <list type="number">
/// <item>v = f̂ / ‖f̂‖₂ with f̂ = embed(encoder(x)), one view per sample.</item>
/// <item>For sample i the (m+1) candidates are bank row i (the positive, read before this step's
/// update) and m rows drawn uniformly (P_n = 1/N) by <see cref="NegativeSampler"/>;
/// logits s_j = v_jᵀv / τ.</item>
/// <item>NCE (eq. 5–7, <see cref="NceLoss"/>) with Z = N·mean(exp s), the Monte-Carlo estimate:
/// taken from the first batch and then fixed (the paper, lemniscate's params[2];
/// <see cref="NpidOptions.FixedNormaliser"/>), or re-estimated every step and averaged,
/// Z ← α·Z + (1 − α)·Ẑ (<see cref="NpidOptions.RunningNormaliser"/>, the default), so that Z follows
/// the logits once the bank holds real features instead of the random vectors of the first batch.</item>
/// <item>After the optimiser step, bank rows of the batch ← normalise(0.5·v_bank + 0.5·v) with the
/// features v of that step (eq. 8's proximal idea aside, this is the paper's §3.2 update).
/// The bank never receives a gradient.</item>
/// </list>
/// With <see cref="NpidOptions.FullSoftmax"/> the loss is instead eq. 2's softmax over all N
/// entries, cross-entropy against the sample's own index (lemniscate's LinearAverage).
/// </summary>
public sealed class NpidMethod : ContrastiveMethod
{
    /// <summary>StateMetadata key of Z ("" until the first batch estimated it).</summary>
    public const string NormaliserKey = "npid.nce_z";

    /// <summary>StateMetadata key of the next step number (the negative-sampling stream position).</summary>
    public const string StepKey = "npid.step";

    private readonly NegativeSampler sampler;
    // Z lives on the device as one float: it is re-estimated from every batch's logits (running
    // normaliser), and keeping it there spares each step a device-to-host read, which would make the
    // step wait for the device and could not be captured as a graph. Its value is read back only
    // for the checkpoint metadata and tests (NormaliserZ).
    private readonly Tensor normaliser;
    private bool hasNormaliser;   // normaliser holds an estimate (false until the first NCE batch or a loaded Z)
    private Tensor? pendingFeatures;   // (B, D) v of the last Loss call, owned
    private int[]? pendingIndices;

    public NpidMethod(Module encoder, Module embedHead, int dataSize, int embedDim, NpidOptions options, IBackend backend, ulong seed)
        : base(encoder)
    {
        EmbedHead = embedHead ?? throw new ArgumentNullException(nameof(embedHead));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
        if (dataSize <= 0) throw new ArgumentOutOfRangeException(nameof(dataSize), $"NPID: data size must be > 0, got {dataSize}.");
        if (embedDim <= 0) throw new ArgumentOutOfRangeException(nameof(embedDim), $"NPID: embed dim must be > 0, got {embedDim}.");
        DataSize = dataSize;
        EmbedDim = embedDim;
        Bank = new MemoryBank(backend, dataSize, embedDim);
        Bank.InitializeRandom(seed);
        sampler = new NegativeSampler(dataSize, options.Negatives, seed);
        using (TensorScope.Suspend()) normaliser = Tensor.Empty(backend, 1);
    }

    public override string Name => "npid";

    public override int ViewCount => 1;

    /// <summary>The linear head to the D-dimensional embedding.</summary>
    public Module EmbedHead { get; }

    public NpidOptions Options { get; }

    /// <summary>N, the number of training samples (bank rows).</summary>
    public int DataSize { get; }

    /// <summary>D.</summary>
    public int EmbedDim { get; }

    public MemoryBank Bank { get; }

    /// <summary>
    /// The NCE normaliser Z; null until the first NCE batch estimates it. Read back from the device
    /// (it waits for the queued work): for checkpoints and tests, not inside a step.
    /// </summary>
    public float? NormaliserZ => hasNormaliser ? normaliser.Item() : null;

    /// <summary>Steps taken so far (= the negative-sampling step of the next <see cref="Loss"/>).</summary>
    public long Step { get; private set; }

    protected override IEnumerable<(string Prefix, Module Module)> Modules()
    {
        yield return ("encoder.", Encoder);
        yield return ("embed.", EmbedHead);
    }

    protected override IEnumerable<(string Name, Tensor Tensor)> MethodState()
    {
        yield return ("memory_bank", Bank.Storage);
    }

    /// <summary>embed(h) [B, D] for encoder features h [B, F], before the normalisation of <see cref="Embed"/>.</summary>
    public override Module? Head => EmbedHead;

    /// <summary>v = L2-normalised embed(encoder(x)), [B, D].</summary>
    public Tensor Embed(Tensor x)
    {
        var h = Encoder.Forward(x);
        if (h.Rank != 2) h = Ops.Flatten(h);
        var e = EmbedHead.Forward(h);
        if (e.Rank != 2 || e.Dim(1) != EmbedDim)
            throw new InvalidOperationException($"NPID: the embed head must output [B, {EmbedDim}], got {ShapeUtil.Format(e.Shape)}.");
        return Ops.L2Normalize(e);
    }

    /// <summary>
    /// With <see cref="NpidOptions.EncoderBank"/>: bank row i ← v_i of the initial network (training-mode
    /// batch statistics, as the first steps see them; the batch-norm running statistics are put
    /// back afterwards), so that each sample's positive is its own embedding from the first step
    /// instead of a random vector that only the sample's first visit replaces.
    /// </summary>
    public override string? BeforeTraining(TrainingStart start)
    {
        if (Options.BankInit != NpidOptions.EncoderBank) return null;
        if (start.Data.Dataset.Count != DataSize)
            throw new ArgumentException($"NPID: the bank has {DataSize} rows, the training set {start.Data.Dataset.Count} images.");
        using var scope = TensorScope.Begin();
        var buffers = Encoder.NamedBuffers().Concat(EmbedHead.NamedBuffers()).Select(b => (Live: b.Tensor, Saved: b.Tensor.Clone())).ToList();
        bool wasTraining = IsTraining;
        Train(true);
        try
        {
            var v = Eval.FeatureExtractor.Extract(new EmbedChain(this), start.Data, start.BatchSize, start.ImageSize);
            v.Backend.Copy(v, Bank.Storage);
        }
        finally
        {
            Train(wasTraining);
            foreach (var (live, saved) in buffers) live.Backend.Copy(saved, live);
        }
        return $"memory bank filled with the initial network's embeddings of {DataSize} images";
    }

    /// <summary>embed(encoder(x)) as a module for the feature extractor, which normalises the rows; owns nothing.</summary>
    private sealed class EmbedChain(NpidMethod method) : Module(method.Encoder.Backend)
    {
        public override Tensor Forward(Tensor x)
        {
            var h = method.Encoder.Forward(x);
            return method.EmbedHead.Forward(h.Rank == 2 ? h : Ops.Flatten(h));
        }
    }

    /// <summary>The (m+1) candidate rows per sample of step <paramref name="step"/>: column 0 the sample itself.</summary>
    public int[] CandidateIndices(long step, ReadOnlySpan<int> indices) => sampler.Sample(step, indices);

    public override Tensor Loss(TrainingBatch batch, StepInfo step)
    {
        if (batch.Views.Length != 1) throw new ArgumentException($"NPID needs 1 view per sample, the batch has {batch.Views.Length}.");
        var v = Embed(batch.Views[0]);
        int b = batch.Size, d = EmbedDim;
        var backend = v.Backend;
        Tensor loss;
        if (Options.FullSoftmax)
        {
            // Eq. 2: P(i|v) = exp(v_iᵀv/τ) / Σ_j exp(v_jᵀv/τ) over the whole bank: InfoNCE with
            // the sample's own entry as the positive and no column excluded (τ applied inside).
            var similarity = Ops.MatMul(v, Bank.Storage, transB: true);
            loss = Ops.Mean(Ops.InfoNce(similarity, IntTensor.FromArray(backend, batch.Indices), Options.Temperature, excludeSelf: false));
        }
        else
        {
            int m = Options.Negatives;
            var table = sampler.Sample(Step, batch.Indices);
            var rows = Bank.Gather(IntTensor.FromArray(backend, table));   // (B·(m+1), D), pre-update bank
            var candidates = rows.View(b, m + 1, d);
            var logits = Ops.Scale(Ops.BatchedRowDot(candidates, v), 1f / Options.Temperature); // (B, m+1)
            UpdateNormaliser(logits);
            loss = NceLoss.Compute(logits, normaliser, DataSize);
        }
        KeepForUpdate(v, batch.Indices);
        Step++;
        return loss;
    }

    /// <summary>
    /// Z for this batch, on the device: the first batch's estimate, then fixed or averaged with each new
    /// estimate (<see cref="NpidOptions.Normaliser"/>); this batch's loss uses Z after its update.
    /// </summary>
    private void UpdateNormaliser(Tensor logits)
    {
        if (hasNormaliser && Options.Normaliser == NpidOptions.FixedNormaliser) return;
        NceLoss.EstimateNormaliserInto(logits, DataSize, normaliser, Options.NormaliserMomentum, first: !hasNormaliser);
        hasNormaliser = true;
    }

    /// <summary>Copies the step's features (no gradient) for the bank update after the optimiser step.</summary>
    private void KeepForUpdate(Tensor v, int[] indices)
    {
        using var suspend = TensorScope.Suspend();
        if (pendingFeatures is null || !pendingFeatures.Shape.SequenceEqual(v.Shape))
        {
            pendingFeatures?.Dispose();
            pendingFeatures = v.EmptyLike();
        }
        v.Backend.Copy(v, pendingFeatures);
        pendingIndices = (int[])indices.Clone();
    }

    /// <summary>Momentum update of the batch's bank rows with the features of the last <see cref="Loss"/>.</summary>
    public override void AfterOptimizerStep(TrainingBatch batch, StepInfo step)
    {
        if (pendingFeatures is null || pendingIndices is null)
            throw new InvalidOperationException("NPID: AfterOptimizerStep called without a preceding Loss on this batch.");
        if (!pendingIndices.AsSpan().SequenceEqual(batch.Indices))
            throw new InvalidOperationException("NPID: AfterOptimizerStep got a different batch from the one the last Loss saw.");
        using var scope = TensorScope.Begin();
        using var noGrad = Tape.NoGrad();
        Bank.MomentumUpdate(IntTensor.FromArray(pendingFeatures.Backend, pendingIndices), pendingFeatures, Options.Momentum);
        pendingIndices = null;
    }

    public override IReadOnlyDictionary<string, string> StateMetadata() => new Dictionary<string, string>
    {
        [NormaliserKey] = NormaliserZ?.ToString("R", CultureInfo.InvariantCulture) ?? "",
        [StepKey] = Step.ToString(CultureInfo.InvariantCulture),
    };

    public override void LoadStateMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        if (metadata.TryGetValue(NormaliserKey, out var z))
        {
            if (z.Length > 0 && !(float.TryParse(z, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && float.IsFinite(value) && value > 0))
                throw new FormatException($"NPID: expected the NCE normaliser '{NormaliserKey}' as a finite number > 0 (or empty), found '{z}'.");
            hasNormaliser = z.Length > 0;
            if (hasNormaliser) normaliser.Backend.CopyFromHost([float.Parse(z, NumberStyles.Float, CultureInfo.InvariantCulture)], normaliser);
        }
        if (metadata.TryGetValue(StepKey, out var s))
            Step = long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long step) ? step
                : throw new FormatException($"NPID: expected the step count '{StepKey}' as an integer ≥ 0, found '{s}'.");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Bank.Dispose();
        pendingFeatures?.Dispose();
        normaliser.Dispose();
    }
}
