using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Tests.Backends.Device;
using NativeContrastive.Tests.KernelTests;
using NUnit.Framework;

namespace NativeContrastive.Tests.Backends;

/// <summary>
/// <c>--precision</c> rounds convolution operands only: a linear layer (Ops.Linear, forward and
/// backward) gives bit for bit its fp32 result at tf32 and bf16, on the cpu and on emu. Rounding the
/// linear layers' operands to bf16 as autocast does was measured to cost 0.74 points of kNN top-1
/// (README recipe, 3 seeds) for ~0.1% of a ResNet-18 step's FLOPs, so they stay fp32.
/// </summary>
public class PrecisionLinearTests
{
    private const int Batch = 7, In = 37, Out = 19;

    private static readonly float[] X = EmuKernelTest.Data(Batch * In, 1, -1f, 1f), W = EmuKernelTest.Data(Out * In, 2, -1f, 1f),
        B = EmuKernelTest.Data(Out, 3, -1f, 1f), Dy = EmuKernelTest.Data(Batch * Out, 4, -1f, 1f);

    /// <summary>y = Linear(x, W, b) and the gradients of Σ y·Dy on <paramref name="be"/> at precision <paramref name="p"/>.</summary>
    private static float[][] Run(IBackend be, Precision p)
    {
        var saved = be.Precision;
        be.Precision = p;
        try
        {
            using var scope = TensorScope.Begin();
            Tensor x = Tensor.FromArray(be, X, Batch, In), w = Tensor.FromArray(be, W, Out, In), b = Tensor.FromArray(be, B, Out);
            foreach (var t in new[] { x, w, b }) t.RequiresGrad = true;
            var y = Ops.Linear(x, w, b);
            Tape.Backward(Ops.Sum(Ops.Mul(y, Tensor.FromArray(be, Dy, Batch, Out))));
            return [y.ToArray(), x.Grad!.ToArray(), w.Grad!.ToArray(), b.Grad!.ToArray()];
        }
        finally { be.Precision = saved; }
    }

    [TestCase(Precision.Tf32)]
    [TestCase(Precision.Bf16)]
    public void LinearLayersStayFp32OnTheCpu(Precision p)
    {
        var cpu = new CpuBackend();
        Assert.That(Run(cpu, p), Is.EqualTo(Run(cpu, Precision.Fp32)));
    }

    [TestCase(Precision.Tf32)]
    [TestCase(Precision.Bf16)]
    public void LinearLayersStayFp32OnEmu(Precision p) =>
        Assert.That(Run(EmuDevice.Backend, p), Is.EqualTo(Run(EmuDevice.Backend, Precision.Fp32)));
}
