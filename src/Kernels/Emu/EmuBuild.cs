using System.Diagnostics;

namespace NativeContrastive.Kernels.Emu;

/// <summary>
/// Where the emulated device's native build lives: artifacts/emu/&lt;variant&gt;/ (variant
/// release, asan or tsan) holding libnc_emu_rt.so, one &lt;family&gt;.so per kernels-cu/*.cu
/// and nc-emu-runner, made by scripts/build-emu.sh. $NC_EMU_DIR overrides the release folder.
/// </summary>
public static class EmuBuild
{
    public const string RuntimeLibrary = "libnc_emu_rt.so";
    public const string Runner = "nc-emu-runner";

    /// <summary>The repository root found above the running assembly (has scripts/build-emu.sh), or null.</summary>
    public static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "scripts", "build-emu.sh"))) return dir.FullName;
        return null;
    }

    public static string Directory(string variant = "release")
    {
        var env = Environment.GetEnvironmentVariable("NC_EMU_DIR");
        if (variant == "release" && !string.IsNullOrEmpty(env)) return env;
        var root = RepositoryRoot() ?? throw new InvalidOperationException(
            "The emu build folder is unknown: set NC_EMU_DIR, or run from a checkout (scripts/build-emu.sh).");
        return Path.Combine(root, "artifacts", "emu", variant);
    }

    /// <summary>
    /// Runs scripts/build-emu.sh for the variants (incremental: only what changed is rebuilt).
    /// Throws with the compiler output when the build fails.
    /// </summary>
    public static void EnsureBuilt(params string[] variants)
    {
        var root = RepositoryRoot() ?? throw new InvalidOperationException("No checkout found above " + AppContext.BaseDirectory);
        var psi = new ProcessStartInfo("bash") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("scripts/build-emu.sh");
        foreach (var v in variants.Length == 0 ? ["release"] : variants) psi.ArgumentList.Add(v);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"scripts/build-emu.sh failed ({p.ExitCode}):\n{stdout.Result}\n{stderr}");
    }
}
