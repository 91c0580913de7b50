using System.Diagnostics;
using NativeContrastive.Engine;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Bench;

/// <summary>
/// Milliseconds per call of <see cref="IBackend.SinkhornCodes"/> (SwAV's codes) on <c>--device
/// cpu|emu|cuda</c>: scores [rows, cols] uniform in [−1, 1] (cosines), ε = 0.05. Defaults: SwAV's
/// ImageNet size 4096 × 3000, 3 iterations; 512 × 300 on emu, which is a correctness tool (its time says
/// how large a test can be). One warm-up call (JIT, NVRTC, pools), then calls until both 5 calls and 2 s,
/// each waited for (Synchronize); best and mean wall time, and the effective GB/s of the traffic the
/// algorithm cannot avoid: the matrix read once per iteration and once for the output, codes written once.
/// On a device also 20 calls queued back to back with one Synchronize (launch latency overlapped).
/// </summary>
public static class SinkhornBench
{
    public static void Run(string device, int? rows, int? cols, int iterations)
    {
        int b = rows ?? (device == "emu" ? 512 : 4096), k = cols ?? (device == "emu" ? 300 : 3000);
        const float epsilon = 0.05f;
        var backend = Devices.Create(device);
        var data = new float[(long)b * k];
        var rng = new Random(1);
        for (long i = 0; i < data.Length; i++) data[i] = 2f * rng.NextSingle() - 1f;
        using var scope = TensorScope.Begin();
        var scores = Tensor.FromArray(backend, data, b, k);
        var codes = Tensor.Empty(backend, b, k);

        void Call()
        {
            backend.SinkhornCodes(scores, codes, b, k, epsilon, iterations);
            backend.Synchronize();
        }

        Call();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < 5 || total.Elapsed.TotalSeconds < 2)
        {
            var sw = Stopwatch.StartNew();
            Call();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        double best = times.Min(), mean = times.Average();
        double gb = 4.0 * b * k * (iterations + 2) / 1e9;
        Console.WriteLine($"sinkhorn on {backend.Name}: {b} × {k}, {iterations} iterations, ε = {epsilon} — {times.Count} calls");
        Console.WriteLine($"  best {best,9:F3} ms   mean {mean,9:F3} ms   {gb / (best / 1e3),8:F2} GB/s effective (best; {gb * 1e3:F1} MB per call)");
        if (backend.ComputesOnHost) return;
        // Queued back to back, as in a training step: the launches overlap the host's next calls.
        const int queued = 20;
        var q = Stopwatch.StartNew();
        for (int i = 0; i < queued; i++) backend.SinkhornCodes(scores, codes, b, k, epsilon, iterations);
        backend.Synchronize();
        double per = q.Elapsed.TotalMilliseconds / queued;
        Console.WriteLine($"  {queued} calls queued, one Synchronize: {per,9:F3} ms per call   {gb / (per / 1e3),8:F2} GB/s effective");
    }
}
