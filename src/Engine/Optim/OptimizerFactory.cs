using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Optim;

/// <summary>Hyper-parameters shared by <see cref="OptimizerFactory"/>; each optimiser reads those it uses.</summary>
public sealed record OptimizerOptions
{
    /// <summary>SGD / LARS momentum (SGD: 0 turns it off).</summary>
    public float Momentum { get; init; } = 0.9f;

    /// <summary>SGD, LARS, Adam: L2 added to the gradient; AdamW: decoupled decay.</summary>
    public float WeightDecay { get; init; }

    public bool Nesterov { get; init; }

    public (float Beta1, float Beta2) Betas { get; init; } = (0.9f, 0.999f);

    public float Eps { get; init; } = 1e-8f;

    /// <summary>LARS η.</summary>
    public float TrustCoefficient { get; init; } = 0.001f;
}

/// <summary>Builds an optimiser by name (the CLI's --optimizer values).</summary>
public static class OptimizerFactory
{
    public static readonly string[] Names = ["sgd", "lars", "adam", "adamw"];

    public static Optimizer Create(string name, IReadOnlyList<(string Name, Tensor Tensor)> parameters, OptimizerOptions options) => name switch
    {
        "sgd" => new Sgd(parameters, options.Momentum, options.WeightDecay, options.Nesterov),
        "lars" => new Lars(parameters, options.Momentum, options.WeightDecay, options.TrustCoefficient, options.Nesterov),
        "adam" => new Adam(parameters, options.Betas.Beta1, options.Betas.Beta2, options.Eps, options.WeightDecay),
        "adamw" => new AdamW(parameters, options.Betas.Beta1, options.Betas.Beta2, options.Eps, options.WeightDecay),
        _ => throw new ArgumentException($"Unknown optimizer '{name}'; expected one of: {string.Join(", ", Names)}.", nameof(name)),
    };
}
