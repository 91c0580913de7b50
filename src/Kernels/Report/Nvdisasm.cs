using System.Diagnostics;

namespace NativeContrastive.Kernels.Report;

/// <summary>
/// NVIDIA's disassembler, run as a separate program on a CUBIN (it needs no GPU). Found at
/// $NC_NVDISASM, else where scripts/install-nvdisasm.sh puts it, else on the PATH.
/// </summary>
public static class Nvdisasm
{
    public static string? Locate()
    {
        string? env = Environment.GetEnvironmentVariable("NC_NVDISASM");
        if (!string.IsNullOrEmpty(env)) return File.Exists(env) ? env : null;
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string cached = Path.Combine(home, ".cache", "nativecontrastive", "cuda-tools", "nvdisasm");
        if (File.Exists(cached)) return cached;
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, "nvdisasm");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>`nvdisasm -c` of a CUBIN file: every kernel's SASS with addresses and labels.</summary>
    public static string Disassemble(string tool, string cubinPath)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(cubinPath);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {tool}");
        var stderr = p.StandardError.ReadToEndAsync();
        string text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{tool} -c {cubinPath} exited with {p.ExitCode}: {stderr.Result.Trim()}");
        return text;
    }
}
