using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>Convolution: kernels-cu/conv.cu (implicit GEMM; see ConvKernels for the tiling) at fp32, kernels-cu/conv_mma.cu (tensor cores, ConvMmaKernels) at tf32 and bf16.</summary>
public sealed partial class DeviceBackend
{
    private static ConvShape Shape(Conv2dGeometry g) => new(g.N, g.C, g.H, g.W, g.K, g.R, g.S, g.StrideH, g.StrideW, g.PadH, g.PadW);

    private ConvMmaKernels? convMma;

    /// <summary>The tensor-core launcher when <see cref="Precision"/> is tf32 or bf16 (checked against the device), else null.</summary>
    private ConvMmaKernels? TensorCoreConv()
    {
        if (Precision == Kernels.Families.Precision.Fp32) return null;
        ConvMmaKernels.RequireTensorCores(Driver, Precision);
        return convMma ??= new ConvMmaKernels(Driver);
    }

    public void Conv2dForward(Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry g)
    {
        if (TensorCoreConv() is { } mma) { mma.Conv2dForward(Buf(x), Buf(w), bias is null ? null : Buf(bias), Buf(y), Shape(g), Precision); return; }
        conv.Conv2dForward(Buf(x), Buf(w), bias is null ? null : Buf(bias), Buf(y), Shape(g));
    }

    public void Conv2dForward(Tensor x, Tensor w, Tensor? bias, Bf16Tensor y, Conv2dGeometry g)
    {
        if (TensorCoreConv() is { } mma) { mma.Conv2dForwardBf16Output(Buf(x), Buf(w), bias is null ? null : Buf(bias), Buf(y), Shape(g), Precision); return; }
        conv.Conv2dForwardBf16Output(Buf(x), Buf(w), bias is null ? null : Buf(bias), Buf(y), Shape(g));
    }

    public void Conv2dBackwardData(Tensor dy, Tensor w, Tensor dx, Conv2dGeometry g)
    {
        if (TensorCoreConv() is { } mma) { mma.Conv2dBackwardData(Buf(dy), Buf(w), Buf(dx), Shape(g), Precision); return; }
        conv.Conv2dBackwardData(Buf(dy), Buf(w), Buf(dx), Shape(g));
    }

    public void Conv2dBackwardWeight(Tensor x, Tensor dy, Tensor dw, Tensor? dbias, Conv2dGeometry g)
    {
        if (TensorCoreConv() is { } mma) { mma.Conv2dBackwardWeight(Buf(x), Buf(dy), Buf(dw), dbias is null ? null : Buf(dbias), Shape(g), Precision); return; }
        conv.Conv2dBackwardWeight(Buf(x), Buf(dy), Buf(dw), dbias is null ? null : Buf(dbias), Shape(g));
    }
}
