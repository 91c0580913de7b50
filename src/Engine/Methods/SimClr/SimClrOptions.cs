namespace NativeContrastive.Engine.Methods.SimClr;

/// <summary>
/// SimCLR settings, each declared once with its default (the declarations are what `nc train`
/// shows and config.json records). Temperature τ = 0.5 is SimCLR's default (Chen et al. 2020;
/// the reference code's flag default, and the best value the paper reports for CIFAR-10 at batch
/// sizes up to 1024, its small-data setting). Larger runs on ImageNet use 0.1–0.2.
/// </summary>
public sealed record SimClrOptions
{
    public static readonly MethodOption<float> TemperatureOption = SharedMethodOptions.Temperature(0.5f);

    public static readonly MethodOption<int> ProjectorHiddenDimOption = SharedMethodOptions.ProjectorHiddenDim();

    public static readonly MethodOption<int> ProjectorOutDimOption = SharedMethodOptions.ProjectorOutDim();

    public static IReadOnlyList<MethodOption> Declarations { get; } = [TemperatureOption, ProjectorHiddenDimOption, ProjectorOutDimOption];

    /// <summary>τ of NT-Xent.</summary>
    public float Temperature { get; init; } = TemperatureOption.Default;

    /// <summary>Hidden width of the projection MLP; 0 = the encoder's feature width (SimCLR's choice).</summary>
    public int ProjectorHiddenDim { get; init; } = ProjectorHiddenDimOption.Default;

    /// <summary>Output dimension of the projection head (SimCLR: 128).</summary>
    public int ProjectionDim { get; init; } = ProjectorOutDimOption.Default;

    public static SimClrOptions From(MethodOptionValues v) => new()
    {
        Temperature = v.Get(TemperatureOption),
        ProjectorHiddenDim = v.Get(ProjectorHiddenDimOption),
        ProjectionDim = v.Get(ProjectorOutDimOption),
    };

    public void Validate()
    {
        TemperatureOption.Require(Temperature, "SimCLR");
        ProjectorHiddenDimOption.Require(ProjectorHiddenDim, "SimCLR");
        ProjectorOutDimOption.Require(ProjectionDim, "SimCLR");
    }
}
