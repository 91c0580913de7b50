using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Models;

namespace NativeContrastive.Engine.Methods.Npid;

/// <summary>
/// NPID's registry entry: one view of NPID's augmentation (crop scale 0.2–1, jitter 0.4 always,
/// grayscale 0.2), a linear embed head "embed." to D dimensions, the memory bank "memory_bank"
/// (checkpointed with Z and the step counter), and the paper's optimiser: SGD, lr 0.03, momentum
/// 0.9, weight decay 5e-4 (Wu et al. 2018 §4, CIFAR).
/// </summary>
public sealed class NpidDefinition : MethodDefinition
{
    public override string Name => "npid";

    public override string Summary => "NPID (Wu et al. 2018): instance discrimination against a memory bank, NCE or exact softmax.";

    public override IReadOnlyList<MethodOption> Options => NpidOptions.Declarations;

    public override TrainingDefaults Defaults { get; } = new("sgd", 0.03f, 5e-4f, 0f);

    public override IReadOnlyList<AugmentationConfig> Views(ViewContext c, MethodOptionValues options)
    {
        var a = AugmentationConfig.Npid(c.ImageSize, c.Channels, c.Normalization);
        return [a with { Seed = c.Seed, ScaleMin = c.CropScaleMin ?? a.ScaleMin }];
    }

    public override ContrastiveMethod Create(MethodContext c)
    {
        var options = NpidOptions.From(c.Options);
        var embed = new LinearHead(c.Encoder.FeatureDim, options.EmbedDim, c.Backend, c.InitStream);
        return new NpidMethod(c.Encoder, embed, c.DataSize, options.EmbedDim, options, c.Backend, c.Seed);
    }
}
