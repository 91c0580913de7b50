namespace NativeContrastive.Engine.Methods;

/// <summary>
/// SimCLR settings. Temperature τ = 0.5 is SimCLR's default (Chen et al. 2020; the
/// reference code's flag default, and the best value the paper reports for CIFAR-10 at
/// batch sizes up to 1024, its small-data setting). Larger runs on ImageNet use 0.1–0.2.
/// </summary>
public sealed record SimClrOptions
{
    /// <summary>τ of NT-Xent.</summary>
    public float Temperature { get; init; } = 0.5f;

    /// <summary>Output dimension of the projection head (SimCLR: 128).</summary>
    public int ProjectionDim { get; init; } = 128;

    public void Validate()
    {
        if (!(Temperature > 0f) || float.IsInfinity(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), $"SimCLR: temperature must be finite and > 0, got {Temperature}.");
        if (ProjectionDim <= 0) throw new ArgumentOutOfRangeException(nameof(ProjectionDim), $"SimCLR: projection dim must be > 0, got {ProjectionDim}.");
    }
}
