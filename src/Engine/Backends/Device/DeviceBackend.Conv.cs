using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>Convolution: kernels-cu/conv.cu (implicit GEMM; see ConvKernels for the tiling).</summary>
public sealed partial class DeviceBackend
{
    private static ConvShape Shape(Conv2dGeometry g) => new(g.N, g.C, g.H, g.W, g.K, g.R, g.S, g.StrideH, g.StrideW, g.PadH, g.PadW);

    public void Conv2dForward(Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry g) =>
        conv.Conv2dForward(Buf(x), Buf(w), bias is null ? null : Buf(bias), Buf(y), Shape(g));

    public void Conv2dBackwardData(Tensor dy, Tensor w, Tensor dx, Conv2dGeometry g) =>
        conv.Conv2dBackwardData(Buf(dy), Buf(w), Buf(dx), Shape(g));

    public void Conv2dBackwardWeight(Tensor x, Tensor dy, Tensor dw, Tensor? dbias, Conv2dGeometry g) =>
        conv.Conv2dBackwardWeight(Buf(x), Buf(dy), Buf(dw), dbias is null ? null : Buf(dbias), Shape(g));
}
