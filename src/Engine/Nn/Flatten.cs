using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Nn;

/// <summary>[N, d1, d2, …] → [N, d1·d2·…]. No parameters.</summary>
public sealed class Flatten(IBackend backend) : Module(backend)
{
    public override Tensor Forward(Tensor x) => Ops.Flatten(x);
}
