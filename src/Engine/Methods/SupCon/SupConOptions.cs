namespace NativeContrastive.Engine.Methods.SupCon;

/// <summary>
/// SupCon settings, each declared once with its default: τ = 0.1 (Khosla et al. 2020 and the
/// reference code HobbitLong/SupContrast use 0.1 for CIFAR) and the projection head to 128
/// dimensions (the paper's and the seed article's), hidden width the encoder's.
/// </summary>
public sealed record SupConOptions
{
    public static readonly MethodOption<float> TemperatureOption = SharedMethodOptions.Temperature(0.1f);

    public static readonly MethodOption<int> ProjectorHiddenDimOption = SharedMethodOptions.ProjectorHiddenDim();

    public static readonly MethodOption<int> ProjectorOutDimOption = SharedMethodOptions.ProjectorOutDim();

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
        TemperatureOption.Require(Temperature, "SupCon");
        ProjectorHiddenDimOption.Require(ProjectorHiddenDim, "SupCon");
        ProjectorOutDimOption.Require(ProjectionDim, "SupCon");
    }
}
