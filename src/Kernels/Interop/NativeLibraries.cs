using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NativeContrastive.Kernels.Interop;

/// <summary>
/// Resolves the logical library names used by the P/Invoke declarations ("nc_cuda",
/// "nc_nvrtc", "nc_cublas") to whichever CUDA version is installed: distributions ship
/// versioned names only (libnvrtc.so.11.2, libcublas.so.12, …), so the names are tried in
/// order, newest first. A missing library surfaces as <see cref="DllNotFoundException"/> on
/// the first call; <see cref="TryLoad"/> asks without throwing.
/// </summary>
public static class NativeLibraries
{
    public const string Cuda = "nc_cuda";
    public const string Nvrtc = "nc_nvrtc";
    public const string Cublas = "nc_cublas";

    private static readonly Dictionary<string, string[]> Candidates = new()
    {
        [Cuda] = ["libcuda.so.1", "libcuda.so", "nvcuda.dll"],
        [Nvrtc] = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so", "nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll"],
        [Cublas] = ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so", "cublas64_13.dll", "cublas64_12.dll", "cublas64_11.dll"],
    };

    private static readonly Dictionary<string, (nint Handle, string? Name, string? Error)> Loaded = new();

#pragma warning disable CA2255 // the resolver must be in place before the first P/Invoke of this assembly
    [ModuleInitializer]
    internal static void Register() => NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
#pragma warning restore CA2255

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        Candidates.ContainsKey(name) ? Load(name).Handle : 0;

    private static (nint Handle, string? Name, string? Error) Load(string logical)
    {
        lock (Loaded)
        {
            if (Loaded.TryGetValue(logical, out var hit)) return hit;
            var tried = new List<string>();
            foreach (var candidate in Candidates[logical])
            {
                if (NativeLibrary.TryLoad(candidate, out var handle)) return Loaded[logical] = (handle, candidate, null);
                tried.Add(candidate);
            }
            return Loaded[logical] = (0, null, $"none of {string.Join(", ", tried)} could be loaded");
        }
    }

    /// <summary>True when the library loads; <paramref name="detail"/> names the file loaded or why none did.</summary>
    public static bool TryLoad(string logical, out string detail)
    {
        var (handle, name, error) = Load(logical);
        detail = handle != 0 ? name! : error!;
        return handle != 0;
    }
}
