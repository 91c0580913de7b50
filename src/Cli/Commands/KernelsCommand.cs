using System.CommandLine;
using NativeContrastive.Kernels.Compile;
using NativeContrastive.Kernels.Report;

namespace NativeContrastive.Cli.Commands;

/// <summary>
/// `nc kernels [--arch sm_80|sm_90]`: compiles every kernels-cu family with NVRTC (no GPU
/// needed; results come from the on-disk kernel cache when present) and prints one row per
/// kernel: registers, static shared memory, spill bytes, static SASS instructions (from the
/// CUBIN's .text section, 16 bytes each), and the theoretical occupancy at the block size its
/// launcher uses. With --cubin-dir it also writes each family's CUBIN ("conv_mma.sm_90.cubin").
/// With --sass-loops it disassembles them with nvdisasm (scripts/install-nvdisasm.sh) and prints
/// each kernel's math loop (<see cref="SassLoop"/>): how many instructions its body issues per
/// HMMA or FFMA, the GPU-free bound on how close to peak the kernel can run.
/// </summary>
internal static class KernelsCommand
{
    public static readonly IReadOnlyList<string> Arches = ["sm_80", "sm_90"];

    public static Command Create(CliContext context)
    {
        var arch = Flags.Choice("--arch", "Target architecture.", Arches, "sm_90");
        var cubinDir = Flags.Text("--cubin-dir", "Also write each family's CUBIN into this folder (for nvdisasm / cuobjdump).");
        var sassLoops = new Option<bool>("--sass-loops")
        {
            Description = "Also disassemble the CUBINs with nvdisasm (scripts/install-nvdisasm.sh or $NC_NVDISASM) and print each kernel's " +
                          "math loop: instructions per HMMA / FFMA.",
        };
        var command = new Command("kernels", "Compile every CUDA kernel with NVRTC and print registers, shared memory, spills and occupancy.")
            { arch, cubinDir, sassLoops };
        command.SetAction(parse =>
        {
            var target = GpuArch.Parse(parse.GetValue(arch) ?? "sm_90");
            bool loops = parse.GetValue(sassLoops);
            string? nvdisasm = loops ? Nvdisasm.Locate() ?? throw new FileNotFoundException(
                "--sass-loops: nvdisasm not found (looked at $NC_NVDISASM, ~/.cache/nativecontrastive/cuda-tools/nvdisasm and the PATH); " +
                "run scripts/install-nvdisasm.sh") : null;
            var modules = KernelReport.CompileModules(target);
            var rows = KernelReport.Rows(target, modules);
            string? dir = parse.GetValue(cubinDir) is { Length: > 0 } d ? d : null;
            string? temp = dir == null && loops ? Directory.CreateTempSubdirectory("nc-cubins-").FullName : null;
            try
            {
                var cubins = dir != null || temp != null ? KernelReport.WriteCubins(modules, (dir ?? temp)!) : [];
                if (dir != null)
                    foreach (var (_, path) in cubins) context.Out.WriteLine($"wrote {path}");
                context.Out.Write(KernelReport.Format(rows));
                int spills = rows.Count(r => r.SpillBytes > 0);
                context.Out.WriteLine($"{rows.Count} kernels in {rows.Select(r => r.File).Distinct().Count()} files, {spills} with spills");
                if (nvdisasm != null)
                {
                    context.Out.WriteLine();
                    context.Out.Write(KernelReport.FormatLoops(KernelReport.MathLoops(nvdisasm, cubins.Select(c => c.Path))));
                }
                return spills == 0 ? 0 : 1;
            }
            finally
            {
                if (temp != null) Directory.Delete(temp, recursive: true);
            }
        });
        return command;
    }
}
