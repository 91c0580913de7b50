using NativeContrastive.Engine.Data;

namespace NativeContrastive.Engine.Methods;

/// <summary>What <see cref="ContrastiveMethod.BeforeTraining"/> sees: the training set on the backend, the view side, the batch size.</summary>
public sealed record TrainingStart(ResidentDataset Data, int ImageSize, int BatchSize);
