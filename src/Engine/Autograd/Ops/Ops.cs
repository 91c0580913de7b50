namespace NativeContrastive.Engine.Autograd;

/// <summary>
/// The differentiable operations. One file per op (Autograd/Ops/&lt;Op&gt;.cs) holds its
/// forward and its backward side by side: the forward validates shapes, allocates the
/// output, calls backend primitives, and records a closure on the <see cref="Tape"/>;
/// the closure maps ∂L/∂output to each input with backend primitives too. No op touches
/// memory directly, so every op runs unchanged on cpu, cuda and emu.
/// </summary>
public static partial class Ops
{
}
