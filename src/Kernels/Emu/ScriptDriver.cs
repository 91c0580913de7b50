using System.Diagnostics;
using System.Globalization;
using System.Text;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Emu;

/// <summary>
/// Records driver operations as an nc-emu-runner script instead of running them, so that the
/// same launchers can be run in a child process — under AddressSanitizer or ThreadSanitizer
/// (build variant asan / tsan), or wherever a crash must not take the caller down.
/// Downloads return zeros at record time; <see cref="Run"/> executes the script and returns
/// the downloaded bytes in order. Device pointers are fake (buffer id in the high bits) and
/// must be passed to kernels unoffset.
/// </summary>
public sealed class ScriptDriver : IKernelDriver
{
    private const ulong PointerBase = 0x7a00_0000_0000_0000;
    private readonly StringBuilder script = new();
    private readonly Dictionary<string, KernelModule> modules = new();
    private int nextId = 1, files;
    private readonly List<string> downloads = [];

    public ScriptDriver(string variant, string workDirectory, EmuOrder order = EmuOrder.Forward, ulong seed = 0x5eed)
    {
        Variant = variant;
        BuildDirectory = EmuBuild.Directory(variant);
        WorkDirectory = workDirectory;
        Directory.CreateDirectory(workDirectory);
        script.AppendLine(CultureInfo.InvariantCulture, $"order {(int)order} {seed}");
    }

    public string Name => "emu-script";
    public string Variant { get; }
    public string BuildDirectory { get; }
    public string WorkDirectory { get; }

    private static long Id(ulong ptr) => ptr >= PointerBase && (ptr & 0xffff_ffff) == 0
        ? (long)((ptr - PointerBase) >> 32)
        : throw new ArgumentException($"0x{ptr:x} is not a ScriptDriver buffer pointer (offsets are not supported).");

    public ulong Alloc(long bytes)
    {
        int id = nextId++;
        script.AppendLine(CultureInfo.InvariantCulture, $"alloc {id} {bytes}");
        return PointerBase + ((ulong)id << 32);
    }

    public void Free(ulong ptr) => script.AppendLine(CultureInfo.InvariantCulture, $"free {Id(ptr)}");

    public void CopyToDevice(ulong dst, ReadOnlySpan<byte> src)
    {
        var file = $"in{files++}.bin";
        File.WriteAllBytes(Path.Combine(WorkDirectory, file), src.ToArray());
        script.AppendLine(CultureInfo.InvariantCulture, $"upload {Id(dst)} {file}");
    }

    public void CopyToHost(Span<byte> dst, ulong src)
    {
        var file = $"out{downloads.Count}.bin";
        downloads.Add(file);
        script.AppendLine(CultureInfo.InvariantCulture, $"download {Id(src)} {file}");
        dst.Clear();
    }

    public void CopyDeviceToDevice(ulong dst, ulong src, long bytes) =>
        throw new NotSupportedException("ScriptDriver records no device-to-device copies (nc-emu-runner has none).");

    public void Memset(ulong dst, byte value, long bytes) => script.AppendLine(CultureInfo.InvariantCulture, $"memset {Id(dst)} {value}");

    public KernelModule Module(string family)
    {
        if (!modules.TryGetValue(family, out var m)) modules[family] = m = new ScriptModule(family, Path.Combine(BuildDirectory, family + ".so"));
        return m;
    }

    public void Launch(KernelFunction function, Dim3 grid, Dim3 block, uint dynamicSharedBytes, KernelArgs args)
    {
        var line = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"launch {((ScriptModule)function.Module).Path} {function.Name} {grid.X} {grid.Y} {grid.Z} {block.X} {block.Y} {block.Z} {dynamicSharedBytes} {args.Count}"));
        for (int i = 0; i < args.Count; i++)
        {
            var (kind, bits) = args[i];
            line.Append(' ').Append(kind switch
            {
                KernelArgKind.Pointer => bits == 0 ? "p0" : $"p{Id(bits)}",
                KernelArgKind.Int32 => $"i{(int)(uint)bits}",
                KernelArgKind.UInt32 => $"u{(uint)bits}",
                KernelArgKind.Float32 => $"f{(uint)bits:x}",
                KernelArgKind.Int64 => $"l{(long)bits}",
                _ => $"q{bits}",
            });
        }
        script.AppendLine(line.ToString());
    }

    public void Synchronize() { }

    public sealed record RunResult(int ExitCode, string StandardError, IReadOnlyList<byte[]> Downloads, TimeSpan Elapsed);

    /// <summary>Writes the script and runs nc-emu-runner of this variant on it (environment extras added).</summary>
    public RunResult Run(IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var path = Path.Combine(WorkDirectory, "script.txt");
        File.WriteAllText(path, script.ToString());
        var psi = new ProcessStartInfo(Path.Combine(BuildDirectory, EmuBuild.Runner)) { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(path);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            return new RunResult(-1, "nc-emu-runner timed out\n" + stderr.Result, [], sw.Elapsed);
        }
        p.WaitForExit();
        var outputs = p.ExitCode == 0 ? downloads.Select(f => File.ReadAllBytes(Path.Combine(WorkDirectory, f))).ToArray() : [];
        return new RunResult(p.ExitCode, stdout.Result + stderr.Result, outputs, sw.Elapsed);
    }

    public void Dispose() { }

    private sealed class ScriptModule(string family, string path) : KernelModule(family)
    {
        public string Path { get; } = path;

        protected override nint Resolve(string name) => 0;

        public override void Dispose() { }
    }
}
