using NativeContrastive.Kernels.Launch;
using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// elementwise.cu on the emulator against scalar C# over awkward lengths (0, 1, odd, not a
/// multiple of the 256-thread block, and more than one grid-stride pass' worth is not needed:
/// 70 000 > 256 blocks). Tolerance: exact for fill/copy/add/scale/mul/relu/bias (the same
/// single IEEE operation); axpy 1 ulp-ish (fmaf vs a·x + y: atol 1e-6, rtol 1e-6);
/// exp/log rtol 1e-6 (libm vs MathF).
/// </summary>
public class ElementwiseKernelTests(EmuOrder order) : EmuKernelTest(order)
{
    private static readonly long[] Lengths = [0, 1, 7, 255, 257, 1000, 70_000];

    private void Unary(string what, Action<ElementwiseKernels, DeviceBuffer, DeviceBuffer, long> run, Func<float, float> reference,
        float atol = 0, float rtol = 0, float lo = -2f, float hi = 2f)
    {
        var k = new ElementwiseKernels(Driver);
        foreach (var n in Lengths)
        {
            var x = Data(n, (int)n + 1, lo, hi);
            using var dx = Up(x);
            using var dy = Zeros(n);
            run(k, dx, dy, n);
            Close.Assert(x.Select(reference).ToArray(), dy.ToArray<float>(), atol, rtol, $"{what} n={n}");
        }
    }

    [Test] public void Copy() => Unary("copy", (k, x, y, n) => k.Copy(x, y, n), v => v);
    [Test] public void Scale() => Unary("scale", (k, x, y, n) => k.Scale(x, -1.5f, y, n), v => -1.5f * v);
    [Test] public void Relu() => Unary("relu", (k, x, y, n) => k.Relu(x, y, n), v => v > 0 ? v : 0);
    [Test] public void Exp() => Unary("exp", (k, x, y, n) => k.Exp(x, y, n), MathF.Exp, 0, 1e-6f);
    [Test] public void Log() => Unary("log", (k, x, y, n) => k.Log(x, y, n), MathF.Log, 1e-7f, 1e-6f, 0.01f, 5f);

    [Test]
    public void Fill()
    {
        var k = new ElementwiseKernels(Driver);
        foreach (var n in Lengths)
        {
            using var y = Zeros(n);
            k.Fill(y, 3.25f, n);
            Assert.That(y.ToArray<float>(), Is.All.EqualTo(3.25f), $"n={n}");
        }
    }

    private void Binary(string what, Action<ElementwiseKernels, DeviceBuffer, DeviceBuffer, DeviceBuffer, long> run,
        Func<float, float, float> reference, float atol = 0, float rtol = 0)
    {
        var k = new ElementwiseKernels(Driver);
        foreach (var n in Lengths)
        {
            float[] a = Data(n, 11), b = Data(n, 12);
            using var da = Up(a);
            using var db = Up(b);
            using var dy = Zeros(n);
            run(k, da, db, dy, n);
            Close.Assert(a.Zip(b, reference).ToArray(), dy.ToArray<float>(), atol, rtol, $"{what} n={n}");
        }
    }

    [Test] public void Add() => Binary("add", (k, a, b, y, n) => k.Add(a, b, y, n), (a, b) => a + b);
    [Test] public void Mul() => Binary("mul", (k, a, b, y, n) => k.Mul(a, b, y, n), (a, b) => a * b);
    [Test] public void ReluBackward() => Binary("relu backward", (k, x, dy, dx, n) => k.ReluBackward(x, dy, dx, n), (x, dy) => x > 0 ? dy : 0);

    [Test]
    public void Axpy()
    {
        var k = new ElementwiseKernels(Driver);
        foreach (var n in Lengths)
        {
            float[] x = Data(n, 3), y = Data(n, 4);
            using var dx = Up(x);
            using var dy = Up(y);
            k.Axpy(0.75f, dx, dy, n);
            Close.Assert(x.Zip(y, (a, b) => 0.75f * a + b).ToArray(), dy.ToArray<float>(), 1e-6f, 1e-6f, $"axpy n={n}");
        }
    }

    [TestCase(0, 5)]
    [TestCase(1, 1)]
    [TestCase(3, 7)]
    [TestCase(33, 100)]
    [TestCase(300, 257)]
    public void BiasAdd(int rows, int cols)
    {
        var k = new ElementwiseKernels(Driver);
        float[] x = Data((long)rows * cols, 5), bias = Data(cols, 6);
        using var dx = Up(x);
        using var db = Up(bias);
        using var dy = Zeros((long)rows * cols);
        k.BiasAdd(dx, db, dy, rows, cols);
        Close.Assert(x.Select((v, i) => v + bias[i % cols]).ToArray(), dy.ToArray<float>(), 0, 0, "bias add");
    }
}
