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

    /// <summary>The tensor-core launcher for an x stored in bf16, which only the bf16 kernels read.</summary>
    private ConvMmaKernels Bf16InputConv() =>
        Precision == Kernels.Families.Precision.Bf16 ? TensorCoreConv()!
            : throw new NotSupportedException($"A convolution input stored in bf16 is read by the bf16 tensor-core kernels; this backend runs at {Precision}.");

    public void Conv2dForward(Bf16Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry g) =>
        Bf16InputConv().Conv2dForwardBf16Input(Buf(x), Buf(w), bias is null ? null : Buf(bias), Buf(y), yBf16: false, Shape(g), Precision);

    public void Conv2dForward(Bf16Tensor x, Tensor w, Tensor? bias, Bf16Tensor y, Conv2dGeometry g) =>
        Bf16InputConv().Conv2dForwardBf16Input(Buf(x), Buf(w), bias is null ? null : Buf(bias), Buf(y), yBf16: true, Shape(g), Precision);

    public void Conv2dBackwardWeight(Bf16Tensor x, Tensor dy, Tensor dw, Tensor? dbias, Conv2dGeometry g) =>
        Bf16InputConv().Conv2dBackwardWeightBf16(Buf(x), true, Buf(dy), false, Buf(dw), dbias is null ? null : Buf(dbias), Shape(g), Precision);

    public void Conv2dBackwardData(Bf16Tensor dy, Tensor w, Tensor dx, Conv2dGeometry g) =>
        Bf16InputConv().Conv2dBackwardDataBf16Dy(Buf(dy), Buf(w), Buf(dx), Shape(g), Precision);

    public void Conv2dBackwardWeight(Tensor x, Bf16Tensor dy, Tensor dw, Conv2dGeometry g) =>
        Bf16InputConv().Conv2dBackwardWeightBf16(Buf(x), false, Buf(dy), true, Buf(dw), null, Shape(g), Precision);

    public void Conv2dBackwardWeight(Bf16Tensor x, Bf16Tensor dy, Tensor dw, Conv2dGeometry g) =>
        Bf16InputConv().Conv2dBackwardWeightBf16(Buf(x), true, Buf(dy), true, Buf(dw), null, Shape(g), Precision);

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
