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
    public static IReadOnlyList<KernelReportRow> CompileAll(GpuArch arch, KernelCache? cache = null) => Rows(arch, CompileModules(arch, cache));

    /// <summary>Every kernels-cu family compiled for <paramref name="arch"/> (through the cache), with its family name.</summary>
    public static IReadOnlyList<(string Family, CompiledModule Module)> CompileModules(GpuArch arch, KernelCache? cache = null)
    {
        cache ??= KernelCache.Default;
        return KernelSource.Families.Select(f => (f, cache.GetOrCompile(KernelSource.Load(f), arch))).ToArray();
    }

    /// <summary>The report rows of compiled families.</summary>
    public static IReadOnlyList<KernelReportRow> Rows(GpuArch arch, IEnumerable<(string Family, CompiledModule Module)> modules)
    {
        var rows = new List<KernelReportRow>();
        foreach (var (family, compiled) in modules)
        {
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

    /// <summary>
    /// Writes each compiled family's CUBIN into <paramref name="directory"/> as
    /// "&lt;family&gt;.&lt;arch&gt;.cubin" (a temp file renamed into place) and returns the paths.
    /// </summary>
    public static IReadOnlyList<(string Family, string Path)> WriteCubins(IEnumerable<(string Family, CompiledModule Module)> modules, string directory)
    {
        Directory.CreateDirectory(directory);
        var written = new List<(string, string)>();
        foreach (var (family, compiled) in modules)
        {
            string path = Path.Combine(directory, $"{family}.{compiled.Arch}.cubin"), temp = path + ".tmp";
            File.WriteAllBytes(temp, compiled.Cubin);
            File.Move(temp, path, overwrite: true);
            written.Add((family, path));
        }
        return written;
    }

    /// <summary>Fewest FFMAs in a loop that <see cref="MathLoops"/> counts as a math loop (a register-blocked product).</summary>
    public const int BlockedFfma = 16;

    /// <summary>
    /// The math loop of every kernel that has one (<see cref="SassLoop"/>: HMMA for tensor-core
    /// kernels, else an FFMA loop of at least <see cref="BlockedFfma"/> FFMAs — a register-blocked
    /// product, not an elementwise grid-stride loop), from the CUBINs in <paramref name="cubins"/>
    /// disassembled by <paramref name="nvdisasm"/>, in family then kernel order.
    /// </summary>
    public static IReadOnlyList<(SassLoop Loop, string MathOpcode)> MathLoops(string nvdisasm, IEnumerable<string> cubins)
    {
        var loops = new List<(SassLoop, string)>();
        foreach (string cubin in cubins)
        {
            string text = Nvdisasm.Disassemble(nvdisasm, cubin);
            var hmma = SassLoop.Find(text, "HMMA");
            var ffma = SassLoop.Find(text, "FFMA");
            foreach (string kernel in ffma.Keys.Union(hmma.Keys).Order(StringComparer.Ordinal))
                if (hmma.TryGetValue(kernel, out var h)) loops.Add((h, "HMMA"));
                else if (ffma[kernel].Count("FFMA") >= BlockedFfma) loops.Add((ffma[kernel], "FFMA"));
        }
        return loops;
    }

    /// <summary>
    /// A table of math loops: instructions in the body, math instructions, instructions per math
    /// instruction, and the most frequent opcodes.
    /// </summary>
    public static string FormatLoops(IReadOnlyList<(SassLoop Loop, string MathOpcode)> loops)
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"{"kernel",-58} {"loop",5} {"math",9} {"per math",8}  most frequent");
        foreach (var (loop, op) in loops)
        {
            int math = loop.Count(op);
            var top = loop.Opcodes.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(8).Select(kv => $"{kv.Key} {kv.Value}");
            sb.AppendLine(System.FormattableString.Invariant($"{loop.Kernel,-58} {loop.Instructions,5} {math,4} {op} {(double)loop.Instructions / math,8:0.0}  {string.Join(", ", top)}"));
        }
        return sb.ToString();
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
