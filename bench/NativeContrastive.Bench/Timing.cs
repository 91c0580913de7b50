using System.Diagnostics;

namespace NativeContrastive.Bench;

/// <summary>
/// Best-of-n timing: one warm-up run (JIT, pools), then repeats until both a minimum count and
/// time are reached. Reports the best wall time and the process CPU time of that same run:
/// on a shared machine wall time includes waiting for a core, while flops / CPU-seconds is
/// the throughput per core actually held (×cores gives what an idle machine would show).
/// </summary>
public static class Timing
{
    public readonly record struct Result(double WallMs, double CpuMs);

    public static Result Best(Action run, int minRuns = 3, double minSeconds = 0.3)
    {
        run();
        var proc = Process.GetCurrentProcess();
        Result best = new(double.MaxValue, double.MaxValue);
        double total = 0;
        for (int i = 0; i < minRuns || total < minSeconds; i++)
        {
            proc.Refresh();
            var cpu0 = proc.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            run();
            double wall = sw.Elapsed.TotalMilliseconds;
            proc.Refresh();
            double cpu = (proc.TotalProcessorTime - cpu0).TotalMilliseconds;
            total += wall / 1e3;
            if (wall < best.WallMs) best = new(wall, cpu);
        }
        return best;
    }

    public static double GigaFlops(double flops, double ms) => flops / (ms * 1e6);
}
