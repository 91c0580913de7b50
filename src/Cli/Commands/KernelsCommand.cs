using System.CommandLine;
using NativeContrastive.Kernels.Compile;
using NativeContrastive.Kernels.Report;

namespace NativeContrastive.Cli.Commands;

/// <summary>
/// `nc kernels [--arch sm_80|sm_90]`: compiles every kernels-cu family with NVRTC (no GPU
/// needed; results come from the on-disk kernel cache when present) and prints one row per
/// kernel: registers, static shared memory, spill bytes, static SASS instructions (from the
/// CUBIN's .text section, 16 bytes each), and the theoretical occupancy at the block size its
/// launcher uses.
/// </summary>
internal static class KernelsCommand
{
    public static readonly IReadOnlyList<string> Arches = ["sm_80", "sm_90"];

    public static Command Create(CliContext context)
    {
        var arch = Flags.Choice("--arch", "Target architecture.", Arches, "sm_90");
        var command = new Command("kernels", "Compile every CUDA kernel with NVRTC and print registers, shared memory, spills and occupancy.") { arch };
        command.SetAction(parse =>
        {
            var rows = KernelReport.CompileAll(GpuArch.Parse(parse.GetValue(arch) ?? "sm_90"));
            context.Out.Write(KernelReport.Format(rows));
            int spills = rows.Count(r => r.SpillBytes > 0);
            context.Out.WriteLine($"{rows.Count} kernels in {rows.Select(r => r.File).Distinct().Count()} files, {spills} with spills");
            return spills == 0 ? 0 : 1;
        });
        return command;
    }
}
