using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Nn;

/// <summary>[N,C,H,W] → [N,C], the mean over each plane (torch's AdaptiveAvgPool2d(1) + flatten). No parameters.</summary>
public sealed class GlobalAvgPool(IBackend backend) : Module(backend)
{
    public override Tensor Forward(Tensor x) => Ops.GlobalAvgPool(x);
}
