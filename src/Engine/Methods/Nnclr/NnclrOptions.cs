namespace NativeContrastive.Engine.Methods.Nnclr;

/// <summary>
/// NNCLR settings, each declared once with its default. Temperature 0.1 and a support set of
/// 10 000 projections are the Keras example's (seed 003; the paper's best queue is 98 304 on
/// ImageNet). The projection head is the example's two dense layers (features → hidden, ReLU,
/// hidden → 128), hidden = the encoder's width (the example's 128 on the small encoder). The
/// paper's prediction MLP (Dwibedi et al. 2021, §4: 2 layers, BN, 4096 hidden) is optional and
/// off by default, as in the Keras example, which has none.
/// </summary>
public sealed record NnclrOptions
{
    public static readonly MethodOption<float> TemperatureOption = SharedMethodOptions.Temperature(0.1f);

    public static readonly MethodOption<int> QueueSizeOption =
        MethodOption.Int("queue-size", 10_000, "Support set: the last Q L2-normalised projections (FIFO) searched for each sample's nearest neighbour; at least the batch size.", min: 1);

    public static readonly MethodOption<int> ProjectorHiddenDimOption = SharedMethodOptions.ProjectorHiddenDim();

    public static readonly MethodOption<int> ProjectorOutDimOption =
        SharedMethodOptions.ProjectorOutDim("Projection head output width (NNCLR: the support set's width; the Keras example's 128).");

    public static readonly MethodOption<bool> PredictorOption =
        MethodOption.Bool("nnclr-predictor", false, "The paper's prediction MLP (Linear → BN → ReLU → Linear) on the other view's projection.");

    public static readonly MethodOption<int> PredictorHiddenDimOption =
        MethodOption.Int("predictor-hidden-dim", 512, "Prediction MLP hidden width (with --nnclr-predictor).", min: 1);

    public static IReadOnlyList<MethodOption> Declarations { get; } =
        [TemperatureOption, QueueSizeOption, ProjectorHiddenDimOption, ProjectorOutDimOption, PredictorOption, PredictorHiddenDimOption];

    /// <summary>τ of the four cross-entropy terms.</summary>
    public float Temperature { get; init; } = TemperatureOption.Default;

    /// <summary>Q, rows of the support set.</summary>
    public int QueueSize { get; init; } = QueueSizeOption.Default;

    /// <summary>Hidden width of the projection head; 0 = the encoder's width.</summary>
    public int ProjectorHiddenDim { get; init; } = ProjectorHiddenDimOption.Default;

    /// <summary>Projection width D (the support set's).</summary>
    public int ProjectorOutDim { get; init; } = ProjectorOutDimOption.Default;

    public bool Predictor { get; init; } = PredictorOption.Default;

    public int PredictorHiddenDim { get; init; } = PredictorHiddenDimOption.Default;

    public static NnclrOptions From(MethodOptionValues v) => new()
    {
        Temperature = v.Get(TemperatureOption),
        QueueSize = v.Get(QueueSizeOption),
        ProjectorHiddenDim = v.Get(ProjectorHiddenDimOption),
        ProjectorOutDim = v.Get(ProjectorOutDimOption),
        Predictor = v.Get(PredictorOption),
        PredictorHiddenDim = v.Get(PredictorHiddenDimOption),
    };

    public void Validate()
    {
        TemperatureOption.Require(Temperature, "NNCLR");
        QueueSizeOption.Require(QueueSize, "NNCLR");
        ProjectorHiddenDimOption.Require(ProjectorHiddenDim, "NNCLR");
        ProjectorOutDimOption.Require(ProjectorOutDim, "NNCLR");
        PredictorHiddenDimOption.Require(PredictorHiddenDim, "NNCLR");
    }
}
