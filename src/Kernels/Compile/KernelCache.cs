using System.Security.Cryptography;
using System.Text;

namespace NativeContrastive.Kernels.Compile;

/// <summary>
/// On-disk cache of NVRTC results. Key = SHA-256 of (source file name and text, every header's
/// name and text, architecture, full option list, NVRTC version). Folder: $NC_KERNEL_CACHE,
/// else ~/.cache/nativecontrastive/kernels. One file per entry ("&lt;key&gt;.nck": CUBIN, PTX and
/// log), written to a unique temporary file and renamed into place: rename is atomic, so a
/// reader sees a whole entry or none, and two processes compiling the same source at once
/// both succeed (the later rename replaces an identical file). Unreadable entries are
/// recompiled.
/// </summary>
public sealed class KernelCache(string directory)
{
    private static readonly byte[] Magic = "NCK1"u8.ToArray();

    public string Directory { get; } = directory;

    public static KernelCache Default { get; } = new(DefaultDirectory());

    public static string DefaultDirectory()
    {
        var env = Environment.GetEnvironmentVariable("NC_KERNEL_CACHE");
        if (!string.IsNullOrEmpty(env)) return env;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(home) ? Path.GetTempPath() : home, ".cache", "nativecontrastive", "kernels");
    }

    public static string Key(KernelSource source, GpuArch arch, IReadOnlyList<string> options, (int Major, int Minor) nvrtcVersion)
    {
        var sb = new StringBuilder();
        sb.Append("nc-kernel-cache-v1\0").Append(source.FileName).Append('\0').Append(source.Text).Append('\0');
        foreach (var h in source.Headers.Keys.Order(StringComparer.Ordinal)) sb.Append(h).Append('\0').Append(source.Headers[h]).Append('\0');
        sb.Append(arch.Real).Append('\0').Append(string.Join('\u0001', options)).Append('\0').Append($"nvrtc {nvrtcVersion.Major}.{nvrtcVersion.Minor}");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    public string PathFor(string key) => Path.Combine(Directory, key + ".nck");

    public CompiledModule GetOrCompile(KernelSource source, GpuArch arch, IEnumerable<string>? extraOptions = null)
    {
        var extra = extraOptions?.ToArray() ?? [];
        var key = Key(source, arch, NvrtcCompiler.OptionsFor(arch, extra), NvrtcCompiler.Version);
        var path = PathFor(key);
        if (TryRead(path, source.FileName, arch) is { } hit) return hit;
        var compiled = NvrtcCompiler.CompileUncached(source, arch, extra);
        Write(path, compiled);
        return compiled;
    }

    private static CompiledModule? TryRead(string path, string fileName, GpuArch arch)
    {
        try
        {
            if (!File.Exists(path)) return null;
            using var r = new BinaryReader(File.OpenRead(path));
            if (!r.ReadBytes(4).AsSpan().SequenceEqual(Magic)) return null;
            var cubin = r.ReadBytes(r.ReadInt32());
            var ptx = r.ReadString();
            var log = r.ReadString();
            return new CompiledModule(fileName, arch, cubin, ptx, log, FromCache: true);
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void Write(string path, CompiledModule m)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var w = new BinaryWriter(File.Create(temp)))
            {
                w.Write(Magic);
                w.Write(m.Cubin.Length);
                w.Write(m.Cubin);
                w.Write(m.Ptx);
                w.Write(m.Log);
            }
            File.Move(temp, path, overwrite: true);   // rename(2): atomic within one file system
        }
        catch (IOException)
        {
            // A cache that cannot be written only costs a recompile next time.
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
