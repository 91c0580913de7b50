using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Backends.Cpu.Gemm;

namespace NativeContrastive.Bench;

/// <summary>
/// The 8×32 micro-kernel alone on L1-resident packed panels, one thread: the ceiling the
/// blocked GEMM can approach on this core (packing and memory traffic excluded).
/// </summary>
public static class MicroKernelBench
{
    public static void Run()
    {
        bool saved = SgemmMicroKernel.UseVector512;
        if (saved) RunOnce("Vector512");
        SgemmMicroKernel.UseVector512 = false;
        RunOnce("Vector256");
        SgemmMicroKernel.UseVector512 = saved;
        Console.WriteLine();
    }

    private static unsafe void RunOnce(string path)
    {
        const int kc = 256, repeats = 2000;
        var a = new float[SgemmMicroKernel.MR * kc];
        var b = new float[SgemmMicroKernel.NR * kc];
        var c = new float[SgemmMicroKernel.MR * SgemmMicroKernel.NR];
        var scratch = new float[SgemmMicroKernel.MR * SgemmMicroKernel.NR];
        Array.Fill(a, 0.5f);
        Array.Fill(b, 0.25f);
        var t = Timing.Best(() =>
        {
            fixed (float* pa = a, pb = b, pc = c, ps = scratch)
                for (int i = 0; i < repeats; i++)
                    SgemmMicroKernel.Tile(kc, pa, pb, pc, SgemmMicroKernel.NR, SgemmMicroKernel.MR, SgemmMicroKernel.NR, 1f, 1f, ps);
        });
        double flops = 2.0 * SgemmMicroKernel.MR * SgemmMicroKernel.NR * kc * repeats;
        Console.WriteLine($"micro-kernel {SgemmMicroKernel.MR}x{SgemmMicroKernel.NR} {path}, kc {kc}, 1 thread: {Timing.GigaFlops(flops, t.WallMs):F1} GFLOP/s wall, {Timing.GigaFlops(flops, t.CpuMs):F1} per CPU-second");
    }
}
