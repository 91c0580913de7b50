namespace NativeContrastive.Engine.Methods;

/// <summary>
/// The options several methods declare under one name — the loss temperature and the projection
/// head's widths — built in one place with each method's default and help, so that the flag's
/// range is the same whichever method declares it.
/// </summary>
public static class SharedMethodOptions
{
    /// <summary>--temperature: τ, finite and &gt; 0.</summary>
    public static MethodOption<float> Temperature(float @default, string help = "Loss temperature τ.") =>
        MethodOption.Float("temperature", @default, help, min: 0, minExclusive: true);

    /// <summary>--projector-hidden-dim: the head's hidden width, ≥ 0 (0: the method picks, usually the encoder's width).</summary>
    public static MethodOption<int> ProjectorHiddenDim(string help = "Projection head hidden width (0: the encoder's feature width).") =>
        MethodOption.Int("projector-hidden-dim", 0, help, min: 0);

    /// <summary>--projector-out-dim: the head's output width, ≥ 1 (128 for every method here).</summary>
    public static MethodOption<int> ProjectorOutDim(string help = "Projection head output width.") =>
        MethodOption.Int("projector-out-dim", 128, help, min: 1);
}
