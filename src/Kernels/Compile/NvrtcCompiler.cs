using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using NativeContrastive.Kernels.Interop;

namespace NativeContrastive.Kernels.Compile;

/// <summary>
/// Compiles a kernels-cu source with NVRTC to CUBIN (and PTX) for one architecture, with
/// the headers passed as NVRTC named headers. Options: C++17 (NVRTC 11.8 needs it said),
/// functions default to __device__, ptxas verbose (registers, smem, spills in the log), line
/// info for profilers. Results go through <see cref="KernelCache"/> unless told otherwise.
/// </summary>
public static partial class NvrtcCompiler
{
    public static readonly IReadOnlyList<string> DefaultOptions = ["--std=c++17", "-default-device", "--ptxas-options=-v", "-lineinfo"];

    private static readonly object NvrtcLock = new();

    /// <summary>True when libnvrtc loads; otherwise <paramref name="reason"/> says why (tests skip on it).</summary>
    public static bool IsAvailable(out string reason)
    {
        if (!NativeLibraries.TryLoad(NativeLibraries.Nvrtc, out var detail)) { reason = $"libnvrtc cannot be loaded: {detail} (scripts/install-nvrtc.sh installs it)"; return false; }
        reason = detail;
        return true;
    }

    /// <summary>NVRTC's version, e.g. (11, 8).</summary>
    public static (int Major, int Minor) Version
    {
        get
        {
            NvrtcException.Check(NvrtcApi.nvrtcVersion(out int major, out int minor));
            return (major, minor);
        }
    }

    /// <summary>Compiles through the default on-disk cache.</summary>
    public static CompiledModule Compile(KernelSource source, GpuArch arch, IEnumerable<string>? extraOptions = null) =>
        KernelCache.Default.GetOrCompile(source, arch, extraOptions);

    /// <summary>The full option list for an architecture (what the cache key covers).</summary>
    public static IReadOnlyList<string> OptionsFor(GpuArch arch, IEnumerable<string>? extraOptions) =>
        [.. DefaultOptions, $"--gpu-architecture={arch.Real}", .. extraOptions ?? []];

    /// <summary>Compiles without the cache.</summary>
    public static unsafe CompiledModule CompileUncached(KernelSource source, GpuArch arch, IEnumerable<string>? extraOptions = null)
    {
        var options = OptionsFor(arch, extraOptions);
        var headerNames = source.Headers.Keys.Order(StringComparer.Ordinal).ToArray();
        var owned = new List<nint>();
        nint Utf8(string s) { var p = Marshal.StringToCoTaskMemUTF8(s); owned.Add(p); return p; }
        try
        {
            var src = Utf8(source.Text);
            var name = Utf8(source.FileName);
            var headers = headerNames.Select(h => Utf8(source.Headers[h])).ToArray();
            var includes = headerNames.Select(Utf8).ToArray();
            var opts = options.Select(Utf8).ToArray();
            lock (NvrtcLock)
            {
                nint program;
                fixed (nint* ph = headers, pi = includes, po = opts)
                    NvrtcException.Check(NvrtcApi.nvrtcCreateProgram(out program, (byte*)src, (byte*)name, headers.Length, (byte**)ph, (byte**)pi));
                try
                {
                    int status;
                    fixed (nint* po = opts) status = NvrtcApi.nvrtcCompileProgram(program, opts.Length, (byte**)po);
                    string log = GetLog(program);
                    if (status != 0)
                    {
                        // NVRTC_ERROR_COMPILATION (6): a source error; anything else is an API failure.
                        if (status == 6) throw new CompileException(source.FileName, FirstError(log), log, arch.Real);
                        NvrtcException.Check(status, $"nvrtcCompileProgram({source.FileName}, {arch})");
                    }
                    NvrtcException.Check(NvrtcApi.nvrtcGetCUBINSize(program, out nuint cubinSize));
                    var cubin = new byte[(int)cubinSize];
                    fixed (byte* p = cubin) NvrtcException.Check(NvrtcApi.nvrtcGetCUBIN(program, p));
                    NvrtcException.Check(NvrtcApi.nvrtcGetPTXSize(program, out nuint ptxSize));
                    var ptx = new byte[(int)ptxSize];
                    fixed (byte* p = ptx) NvrtcException.Check(NvrtcApi.nvrtcGetPTX(program, p));
                    return new CompiledModule(source.FileName, arch, cubin, Encoding.UTF8.GetString(ptx).TrimEnd('\0'), log, FromCache: false);
                }
                finally
                {
                    NvrtcApi.nvrtcDestroyProgram(ref program);
                }
            }
        }
        finally
        {
            foreach (var p in owned) Marshal.FreeCoTaskMem(p);
        }
    }

    private static unsafe string GetLog(nint program)
    {
        NvrtcException.Check(NvrtcApi.nvrtcGetProgramLogSize(program, out nuint size));
        var buffer = new byte[(int)size];
        fixed (byte* p = buffer) NvrtcException.Check(NvrtcApi.nvrtcGetProgramLog(program, p));
        return Encoding.UTF8.GetString(buffer).TrimEnd('\0');
    }

    [GeneratedRegex(@"^(?<file>[^\s(]+)\((?<line>\d+)\): (catastrophic )?error", RegexOptions.Multiline)]
    private static partial Regex ErrorLine();

    /// <summary>"file.cu:LINE" of the first error in an NVRTC log, or null.</summary>
    public static string? FirstError(string log)
    {
        var m = ErrorLine().Match(log);
        return m.Success ? $"{m.Groups["file"].Value}:{m.Groups["line"].Value}" : null;
    }
}
