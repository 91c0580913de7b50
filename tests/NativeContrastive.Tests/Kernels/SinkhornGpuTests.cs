using System.Diagnostics;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// sinkhorn.cu on a real GPU at SwAV's ImageNet size (B = 4096 samples, K = 3000 prototypes,
/// ε = 0.05, 3 iterations) against the cpu reference — atol 1e-9 + rtol 5e-5: the emu tests' 2e-5
/// widened for |u| growing with log B and float sums over 4096 samples (not yet measured on a GPU) —,
/// each sample's code summing to 1 within 1e-5, bitwise repeatable, and timed (ms per call, best and mean of 20; the goal on an H200 is ≤ 0.3 ms,
/// the official PyTorch form takes 0.63 ms there). Skipped with the reason when no CUDA driver or
/// device is present.
/// </summary>
public class SinkhornGpuTests : CudaKernelTest
{
    [Test]
    public void SwAVImageNetSizeMatchesCpuAndIsTimed()
    {
        const int rows = 4096, cols = 3000, iterations = 3;
        const float epsilon = 0.05f;
        var s = EmuKernelTest.Data((long)rows * cols, 7, -1f, 1f);   // cosine scores of unit vectors
        var cpu = CpuBackend.Instance;
        var expected = Tensor.Empty(cpu, rows, cols);
        cpu.SinkhornCodes(Tensor.FromArray(cpu, s, rows, cols), expected, rows, cols, epsilon, iterations);

        var k = new SinkhornKernels(Cuda);
        using var scores = DeviceBuffer.From(Cuda, s);
        using var codes = DeviceBuffer.Allocate<float>(Cuda, (long)rows * cols);
        using var scratch = DeviceBuffer.Allocate(Cuda, SinkhornKernels.ScratchBytes(rows, cols));
        k.SinkhornCodes(scores, codes, rows, cols, epsilon, iterations, scratch);
        Cuda.Synchronize();
        var first = codes.ToArray<float>();
        Close.Assert(expected.ToArray(), first, 1e-9f, 5e-5f, "codes 4096×3000");
        SinkhornReference.AssertCodes(first, rows, cols, 1e-5, "codes");

        const int repeats = 20;
        double best = double.MaxValue, total = 0;
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            k.SinkhornCodes(scores, codes, rows, cols, epsilon, iterations, scratch);
            Cuda.Synchronize();
            double ms = sw.Elapsed.TotalMilliseconds;
            best = Math.Min(best, ms);
            total += ms;
        }
        Assert.That(codes.ToArray<float>(), Is.EqualTo(first), "bitwise repeatable");
        double gb = 4.0 * rows * cols * (iterations + 2) / 1e9;   // matrix read per iteration and for the output, codes written
        TestContext.Out.WriteLine($"sinkhorn {rows}x{cols}, {iterations} iterations: best {best:F3} ms, mean {total / repeats:F3} ms " +
                                  $"(launch + sync included), {gb / (best / 1e3):F0} GB/s effective");
    }
}
