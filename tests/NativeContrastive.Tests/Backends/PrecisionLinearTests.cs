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
/// Ops.Linear at the backend's precision: at bf16 x, W (and dy in the backward products) are
/// multiplied as bf16-rounded operands with fp32 accumulation, on the cpu (rounded operands) and on
/// emu (conv_mma's 1×1 case), forward and backward; db stays the fp32 Σ dy. Checked against float64
/// sums of the rounded operands within n·2⁻²³·Σ|a·b| (the fp32 accumulation bound of
/// <see cref="ConvMmaKernelTests"/>); a product of unrounded operands would be off by ~2⁻⁸·Σ|a·b|.
/// At tf32 the layer stays an fp32 GEMM, bit for bit the fp32 result, as PyTorch leaves matmuls.
/// </summary>
public class PrecisionLinearTests
{
    private const int Batch = 7, In = 37, Out = 19;

    private sealed record Result(float[] Y, float[] Dx, float[] Dw, float[] Db);

    private static readonly float[] X = EmuKernelTest.Data(Batch * In, 1, -1f, 1f), W = EmuKernelTest.Data(Out * In, 2, -1f, 1f),
        B = EmuKernelTest.Data(Out, 3, -1f, 1f), Dy = EmuKernelTest.Data(Batch * Out, 4, -1f, 1f);

    /// <summary>y = Linear(x, W, b) and the gradients of Σ y·Dy on <paramref name="be"/> at precision <paramref name="p"/>.</summary>
    private static Result Run(IBackend be, Precision p)
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
            return new Result(y.ToArray(), x.Grad!.ToArray(), w.Grad!.ToArray(), b.Grad!.ToArray());
        }
        finally { be.Precision = saved; }
    }

    /// <summary>Asserts got[i] = Σ_k a(i,k)·b(i,k) (+ extra(i)) of rounded operands within the accumulation bound.</summary>
    private static void AssertRoundedProducts(float[] got, int terms, Func<int, int, (float A, float B)> operands, Func<int, double> extra, Precision p, string what)
    {
        for (int i = 0; i < got.Length; i++)
        {
            double sum = extra(i), mag = Math.Abs(extra(i));
            for (int k = 0; k < terms; k++)
            {
                var (a, b) = operands(i, k);
                double t = (double)PrecisionRounding.Round(a, p) * PrecisionRounding.Round(b, p);
                sum += t;
                mag += Math.Abs(t);
            }
            double tol = (terms + 2) * Math.Pow(2, -23) * mag + 1e-30;
            Assert.That(Math.Abs(got[i] - sum), Is.LessThanOrEqualTo(tol), $"{what}[{i}]");
        }
    }

    private static void AssertBf16Semantics(Result r)
    {
        var p = Precision.Bf16;
        AssertRoundedProducts(r.Y, In, (i, k) => (X[i / Out * In + k], W[i % Out * In + k]), i => B[i % Out], p, "y");
        AssertRoundedProducts(r.Dx, Out, (i, k) => (Dy[i / In * Out + k], W[k * In + i % In]), _ => 0, p, "dx");
        AssertRoundedProducts(r.Dw, Batch, (i, k) => (Dy[k * Out + i / In], X[k * In + i % In]), _ => 0, p, "dW");
        for (int o = 0; o < Out; o++)
        {
            double s = 0;
            for (int n = 0; n < Batch; n++) s += Dy[n * Out + o];
            Assert.That(r.Db[o], Is.EqualTo(s).Within(1e-5), $"db[{o}] is the fp32 Σ dy");
        }
    }

    [Test]
    public void CpuAtBf16MultipliesRoundedOperands()
    {
        var bf16 = Run(new CpuBackend(), Precision.Bf16);
        AssertBf16Semantics(bf16);
        var fp32 = Run(new CpuBackend(), Precision.Fp32);
        Assert.That(bf16.Y.Zip(fp32.Y).Count(e => e.First != e.Second), Is.GreaterThan(Batch * Out / 2), "rounding changes most outputs");
    }

    [Test]
    public void EmuAtBf16RunsTheTensorCoreKernelsWithTheSameSemantics()
    {
        var emu = Run(EmuDevice.Backend, Precision.Bf16);
        AssertBf16Semantics(emu);
        var cpu = Run(new CpuBackend(), Precision.Bf16);
        Close.Assert(cpu.Y, emu.Y, 1e-5f, 1e-5f, "emu y vs cpu y at bf16");
    }

    [Test]
    public void Tf32LeavesLinearLayersInFp32()
    {
        var cpu = new CpuBackend();
        var tf32 = Run(cpu, Precision.Tf32);
        var fp32 = Run(cpu, Precision.Fp32);
        Assert.That((tf32.Y, tf32.Dx, tf32.Dw, tf32.Db), Is.EqualTo((fp32.Y, fp32.Dx, fp32.Dw, fp32.Db)));
    }
}
