using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

// No namespace: a SetUpFixture outside any namespace wraps the whole test assembly.

/// <summary>
/// After the whole run, writes which registered kernels (KernelFamily.AllLaunchShapes) ran on the
/// emulated device and which did not, to the file named by $NC_KERNEL_COVERAGE_FILE (when set).
/// scripts/test.sh sets it, prints "N of M kernels executed on emu" and fails when one is missing:
/// a kernel that compiles but never runs against its cpu reference is an untested kernel.
/// (A filtered run would list most kernels as missing, hence a file for the script rather than an
/// assertion here.)
/// </summary>
[SetUpFixture]
public sealed class EmuKernelCoverage
{
    [OneTimeTearDown]
    public void WriteCoverage()
    {
        if (Environment.GetEnvironmentVariable("NC_KERNEL_COVERAGE_FILE") is not { Length: > 0 } path) return;
        var ran = EmuDriver.LaunchedKernels.ToHashSet();
        var all = KernelFamily.AllLaunchShapes
            .SelectMany(f => f.Value.Keys.Select(k => $"{f.Key}.cu:{k}"))
            .OrderBy(k => k, StringComparer.Ordinal).ToList();
        var lines = all.Select(k => (ran.Contains(k) ? "ran " : "missing ") + k);
        string tmp = path + ".tmp";
        File.WriteAllLines(tmp, lines);
        File.Move(tmp, path, overwrite: true);
    }
}
