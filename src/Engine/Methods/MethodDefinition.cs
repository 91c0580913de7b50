using NativeContrastive.Engine.Data;

namespace NativeContrastive.Engine.Methods;

/// <summary>
/// Everything the rest of the program learns about a method, declared in the method's own folder
/// and registered with one line in <see cref="MethodRegistry"/>:
/// <list type="bullet">
/// <item><see cref="Name"/> and <see cref="Summary"/> (the `--method` value and its help);</item>
/// <item><see cref="Options"/>: its settings with defaults and help, which become command-line flags
/// and config.json's "method_options";</item>
/// <item><see cref="Defaults"/>: the optimiser, learning rate, weight decay and warm-up it trains with;</item>
/// <item><see cref="Views"/>: one augmentation per view the loader makes (count and sizes, multi-crop included);</item>
/// <item><see cref="Create"/>: the factory, which builds the heads and the method; the method itself
/// says which modules and state it checkpoints (<see cref="ContrastiveMethod.StateDict"/>) and takes
/// the per-step hooks (<see cref="ContrastiveMethod.BeforeOptimizerStep"/>, …);</item>
/// <item><see cref="EpochMetricNames"/>: extra metrics.csv columns the method reports per epoch.</item>
/// </list>
/// </summary>
public abstract class MethodDefinition
{
    /// <summary>Registry name, lower case ("simclr").</summary>
    public abstract string Name { get; }

    /// <summary>One line for `--method` help, e.g. "SimCLR: two views, NT-Xent (Chen et al. 2020)".</summary>
    public abstract string Summary { get; }

    /// <summary>The method's settings, in the order shown in help.</summary>
    public abstract IReadOnlyList<MethodOption> Options { get; }

    public virtual TrainingDefaults Defaults => TrainingDefaults.Adam;

    /// <summary>The augmentation of each view per sample, in the order the method's loss expects them.</summary>
    public abstract IReadOnlyList<AugmentationConfig> Views(ViewContext context, MethodOptionValues options);

    /// <summary>Names of the per-epoch metrics the method adds (reported by <see cref="ContrastiveMethod.EndEpoch"/>).</summary>
    public virtual IReadOnlyList<string> EpochMetricNames => [];

    /// <summary>Builds the heads and the method on <paramref name="context"/>'s encoder; the method owns them all.</summary>
    public abstract ContrastiveMethod Create(MethodContext context);

    /// <summary>The declared option called <paramref name="name"/>, or null.</summary>
    public MethodOption? Option(string name) => Options.FirstOrDefault(o => o.Name == name);
}
