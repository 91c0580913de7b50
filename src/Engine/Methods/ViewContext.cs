using NativeContrastive.Engine.Data;

namespace NativeContrastive.Engine.Methods;

/// <summary>
/// What a method needs to plan its views: the training image side and channels, the data set's
/// normalisation, the run's seed and the configuration's augmentation overrides
/// (`--jitter-strength`, `--crop-scale-min`; null = the method's own value).
/// </summary>
public sealed record ViewContext(int ImageSize, int Channels, Normalization Normalization, ulong Seed, float JitterStrength, float? CropScaleMin);
