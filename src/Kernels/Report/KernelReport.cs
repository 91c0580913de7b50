using NativeContrastive.Kernels.Compile;
using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Kernels.Report;

/// <summary>
/// One kernel's resources for one architecture, with the occupancy at the block size its launcher
/// uses and its static SASS instruction count (<see cref="CubinText"/>; null when the CUBIN has no
/// section for it).
/// </summary>
public sealed record KernelReportRow(string File, string Kernel, GpuArch Arch, int Registers, int StaticSharedBytes, int SpillBytes,
    int StackFrameBytes, int LaunchThreads, OccupancyResult? Occupancy, long? Instructions = null);

/// <summary>
/// Compiles every kernels-cu family with NVRTC for an architecture and tabulates what ptxas
/// reported (the data behind a `nc kernels` command).
/// </summary>
public static class KernelReport
{
    public static IReadOnlyList<KernelReportRow> CompileAll(GpuArch arch, KernelCache? cache = null)
    {
        cache ??= KernelCache.Default;
        var rows = new List<KernelReportRow>();
        foreach (var family in KernelSource.Families)
        {
            var compiled = cache.GetOrCompile(KernelSource.Load(family), arch);
            KernelFamily.AllLaunchShapes.TryGetValue(family, out var shapes);
            var instructions = CubinText.Instructions(compiled.Cubin);
            foreach (var k in compiled.Kernels.OrderBy(k => k.Kernel, StringComparer.Ordinal))
            {
                LaunchShape? shape = shapes != null && shapes.TryGetValue(k.Kernel, out var s) ? s : null;
                var occ = shape is { } sh ? Occupancy.Theoretical(arch, k.Registers, k.StaticSharedBytes, sh.DynamicSharedBytes, sh.Threads) : null;
                rows.Add(new KernelReportRow(compiled.FileName, k.Kernel, arch, k.Registers, k.StaticSharedBytes, k.SpillBytes, k.StackFrameBytes,
                    shape?.Threads ?? 0, occ, instructions.TryGetValue(k.Kernel, out long n) ? n : null));
            }
        }
        return rows;
    }

    /// <summary>A fixed-width text table of the rows.</summary>
    public static string Format(IReadOnlyList<KernelReportRow> rows)
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"{"file",-16} {"kernel",-34} {"arch",-6} {"regs",4} {"smem",6} {"spill",5} {"sass",6} {"threads",7} {"occupancy",9} limiter");
        foreach (var r in rows)
            sb.AppendLine($"{r.File,-16} {r.Kernel,-34} {r.Arch,-6} {r.Registers,4} {r.StaticSharedBytes,6} {r.SpillBytes,5} {(r.Instructions is long n ? n.ToString() : "-"),6} {r.LaunchThreads,7} " +
                          $"{(r.Occupancy is { } o ? $"{o.Fraction:P0}" : "-"),9} {r.Occupancy?.Limiter ?? ""}");
        return sb.ToString();
    }
}
