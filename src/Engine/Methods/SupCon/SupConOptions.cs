namespace NativeContrastive.Engine.Methods.SupCon;

/// <summary>
/// SupCon settings, each declared once with its default: τ = 0.1 (Khosla et al. 2020 and the
/// reference code HobbitLong/SupContrast use 0.1 for CIFAR) and the projection head to 128
/// dimensions (the paper's and the seed article's), hidden width the encoder's.
/// </summary>
public sealed record SupConOptions
{
    public static readonly MethodOption<float> TemperatureOption =
        MethodOption.Float("temperature", 0.1f, "Loss temperature τ.", min: 0, minExclusive: true);

    public static readonly MethodOption<int> ProjectorHiddenDimOption =
        MethodOption.Int("projector-hidden-dim", 0, "Projection head hidden width (0: the encoder's feature width).", min: 0);

    public static readonly MethodOption<int> ProjectorOutDimOption =
        MethodOption.Int("projector-out-dim", 128, "Projection head output width.", min: 1);

    public static IReadOnlyList<MethodOption> Declarations { get; } = [TemperatureOption, ProjectorHiddenDimOption, ProjectorOutDimOption];

    public float Temperature { get; init; } = TemperatureOption.Default;

    public int ProjectorHiddenDim { get; init; } = ProjectorHiddenDimOption.Default;

    public int ProjectionDim { get; init; } = ProjectorOutDimOption.Default;

    public static SupConOptions From(MethodOptionValues v) => new()
    {
        Temperature = v.Get(TemperatureOption),
        ProjectorHiddenDim = v.Get(ProjectorHiddenDimOption),
        ProjectionDim = v.Get(ProjectorOutDimOption),
    };

    public void Validate()
    {
        if (!(Temperature > 0f) || float.IsInfinity(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), $"SupCon: temperature must be finite and > 0, got {Temperature}.");
        if (ProjectorHiddenDim < 0) throw new ArgumentOutOfRangeException(nameof(ProjectorHiddenDim), $"SupCon: projector hidden dim must be ≥ 0, got {ProjectorHiddenDim}.");
        if (ProjectionDim <= 0) throw new ArgumentOutOfRangeException(nameof(ProjectionDim), $"SupCon: projection dim must be > 0, got {ProjectionDim}.");
    }
}
