namespace NativeContrastive.Engine.Eval;

/// <summary>Weighted-kNN accuracy: fractions in [0, 1] of the <paramref name="Count"/> test samples whose label is the top-voted class (Top1) or among the five best (Top5).</summary>
public sealed record KnnResult(double Top1, double Top5, int Count);
