namespace NativeContrastive.Engine.Methods.Npid;

/// <summary>
/// NPID settings, each declared once with its default (Wu et al. 2018 and lemniscate.pytorch:
/// m = 4096 negatives, τ = 0.07, bank momentum 0.5, 128-d embedding). The normaliser Z of NCE is
/// either the paper's one-shot Monte-Carlo estimate from the first batch ("fixed") or an
/// exponential moving average of the same estimate taken every step ("running", the default:
/// it follows the logits as the bank fills with real features, see docs/RESULTS.md).
/// </summary>
public sealed record NpidOptions
{
    public const string FixedNormaliser = "fixed", RunningNormaliser = "running";

    public static readonly MethodOption<float> TemperatureOption = SharedMethodOptions.Temperature(0.07f);

    public static readonly MethodOption<int> NegativesOption =
        MethodOption.Int("negatives", 4096, "NCE negatives m per sample.", min: 1);

    public static readonly MethodOption<float> BankMomentumOption =
        MethodOption.Float("nce-momentum", 0.5f, "Memory-bank momentum: v ← normalise(m·v + (1 − m)·f).", min: 0, max: 1, maxExclusive: true);

    public static readonly MethodOption<int> EmbedDimOption =
        MethodOption.Int("embed-dim", 128, "Embedding (memory-bank) width.", min: 1);

    public static readonly MethodOption<bool> FullSoftmaxOption =
        MethodOption.Bool("full-softmax", false, "Exact softmax over the whole memory bank (eq. 2) instead of NCE.");

    public static readonly MethodOption<string> NormaliserOption =
        MethodOption.Choice("nce-z", RunningNormaliser, "NCE normaliser Z: the paper's one-shot estimate from the first batch, or a running average of it.",
                            FixedNormaliser, RunningNormaliser);

    public static readonly MethodOption<float> NormaliserMomentumOption =
        MethodOption.Float("nce-z-momentum", 0.9f, "Running Z: Z ← α·Z + (1 − α)·Ẑ(batch).", min: 0, max: 1, maxExclusive: true);

    public const string RandomBank = "random", EncoderBank = "encoder";

    public static readonly MethodOption<string> BankInitOption =
        MethodOption.Choice("bank-init", EncoderBank,
            "Initial memory bank: random unit vectors (lemniscate) or the embeddings of the initial network (so the positives mean something from the first step).",
            RandomBank, EncoderBank);

    public static IReadOnlyList<MethodOption> Declarations { get; } =
        [TemperatureOption, NegativesOption, BankMomentumOption, EmbedDimOption, FullSoftmaxOption, NormaliserOption, NormaliserMomentumOption, BankInitOption];

    /// <summary>m, noise samples per example for NCE (ignored with <see cref="FullSoftmax"/>).</summary>
    public int Negatives { get; init; } = NegativesOption.Default;

    /// <summary>τ: logits are vᵢᵀf / τ.</summary>
    public float Temperature { get; init; } = TemperatureOption.Default;

    /// <summary>m of v_bank ← m·v_bank + (1−m)·v.</summary>
    public float Momentum { get; init; } = BankMomentumOption.Default;

    /// <summary>
    /// The paper's non-parametric softmax (eq. 2) over all N bank entries with cross-entropy
    /// against the sample's own index, instead of NCE. Costs a [B, N] logit matrix per step:
    /// only sensible for small N.
    /// </summary>
    public bool FullSoftmax { get; init; } = FullSoftmaxOption.Default;

    /// <summary>Embedding dimension D (the embed head's output and the bank's width).</summary>
    public int EmbedDim { get; init; } = EmbedDimOption.Default;

    /// <summary><see cref="FixedNormaliser"/> or <see cref="RunningNormaliser"/>.</summary>
    public string Normaliser { get; init; } = NormaliserOption.Default;

    /// <summary>α of the running Z.</summary>
    public float NormaliserMomentum { get; init; } = NormaliserMomentumOption.Default;

    /// <summary><see cref="RandomBank"/> or <see cref="EncoderBank"/>.</summary>
    public string BankInit { get; init; } = BankInitOption.Default;

    public static NpidOptions From(MethodOptionValues v) => new()
    {
        BankInit = v.Get(BankInitOption),
        Temperature = v.Get(TemperatureOption),
        Negatives = v.Get(NegativesOption),
        Momentum = v.Get(BankMomentumOption),
        EmbedDim = v.Get(EmbedDimOption),
        FullSoftmax = v.Get(FullSoftmaxOption),
        Normaliser = v.Get(NormaliserOption),
        NormaliserMomentum = v.Get(NormaliserMomentumOption),
    };

    public void Validate()
    {
        NegativesOption.Require(Negatives, "NPID");
        TemperatureOption.Require(Temperature, "NPID");
        BankMomentumOption.Require(Momentum, "NPID");
        EmbedDimOption.Require(EmbedDim, "NPID");
        NormaliserOption.Require(Normaliser, "NPID");
        BankInitOption.Require(BankInit, "NPID");
        NormaliserMomentumOption.Require(NormaliserMomentum, "NPID");
    }
}
