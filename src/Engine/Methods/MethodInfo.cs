namespace NativeContrastive.Engine.Methods;

/// <summary>Which head a method trains on top of the encoder.</summary>
public enum HeadKind
{
    /// <summary>SimCLR's MLP projection head g (Linear → BN → ReLU → Linear), checkpoint prefix "projector.".</summary>
    Projector,

    /// <summary>NPID's linear embedding to D dimensions, checkpoint prefix "embed.".</summary>
    Embed,
}

/// <summary>
/// What the trainer needs to know to build a method before it exists: views per sample,
/// the head to build and its sizes.
/// </summary>
/// <param name="Name">Registry name.</param>
/// <param name="ViewCount">Augmented views per sample.</param>
/// <param name="Head">Head kind.</param>
/// <param name="HeadPrefix">Checkpoint prefix of the head ("projector." / "embed.").</param>
/// <param name="HeadOutputDim">Default output dimension of the head (128 for both).</param>
/// <param name="HeadHiddenDim">Hidden width of an MLP head; null means "the encoder's feature
/// dimension" (SimCLR: hidden = input width), and it is null for a linear head too.</param>
/// <param name="HeadHasHiddenLayer">True for an MLP head, false for a single linear layer.</param>
public sealed record MethodInfo(string Name, int ViewCount, HeadKind Head, string HeadPrefix, int HeadOutputDim, int? HeadHiddenDim, bool HeadHasHiddenLayer);
