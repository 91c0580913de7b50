using NativeContrastive.Kernels.Compile;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Report;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// Every kernels-cu family compiled by NVRTC for sm_80 and sm_90: no errors, no spills,
/// every kernel a launcher knows is in the module (and vice versa). Skipped, with the reason,
/// only when libnvrtc cannot be loaded. Uses a private cache folder per run.
/// </summary>
public class NvrtcCompileTests
{
    private static readonly string CacheDir = Path.Combine(Path.GetTempPath(), $"nc-kernel-cache-test-{Environment.ProcessId}");

    [OneTimeTearDown]
    public void RemoveCache()
    {
        if (Directory.Exists(CacheDir)) Directory.Delete(CacheDir, recursive: true);
    }

    public static IEnumerable<TestCaseData> FamiliesAndArchs() =>
        from f in KernelSource.Families from a in new[] { "sm_80", "sm_90" } select new TestCaseData(f, a).SetName($"Compiles_{f}_{a}");

    [TestCaseSource(nameof(FamiliesAndArchs))]
    public void CompilesWithoutSpills(string family, string arch)
    {
        Nvrtc.RequireOrIgnore();
        var m = new KernelCache(CacheDir).GetOrCompile(KernelSource.Load(family), GpuArch.Parse(arch));
        Assert.That(m.Cubin, Is.Not.Empty);
        Assert.That(m.Ptx, Does.Contain(".entry"));
        Assert.That(m.Log, Does.Not.Contain("warning"), m.Log);
        Assert.That(m.Kernels, Is.Not.Empty, "ptxas -v report parsed");
        foreach (var k in m.Kernels)
        {
            Assert.That(k.SpillBytes, Is.Zero, $"{family}.cu {k.Kernel} spills for {arch}");
            Assert.That(k.Registers, Is.InRange(1, 255));
        }
        var launched = KernelFamily.AllLaunchShapes[family].Keys.Order().ToArray();
        Assert.That(m.Kernels.Select(k => k.Kernel).Order().ToArray(), Is.EqualTo(launched), "kernels in the module = kernels the launcher knows");
        foreach (var name in launched) Assert.That(m.Ptx, Does.Contain($".entry {name}("), "extern \"C\" name kept");
    }

    [Test]
    public void EmulatorTestKernelsCompileToo()
    {
        Nvrtc.RequireOrIgnore();
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", "Kernels", "cu", "emu_semantics.cu");
        var m = NvrtcCompiler.CompileUncached(KernelSource.FromText("emu_semantics.cu", File.ReadAllText(path)), GpuArch.Sm90);
        Assert.That(m.Kernels.Select(k => k.Kernel), Does.Contain("warp_ops_kernel").And.Contain("dynamic_smem_kernel"));
        foreach (var arch in new[] { GpuArch.Sm80, GpuArch.Sm90 })
        {
            var mmaPath = Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", "Kernels", "cu", "mma_fragments.cu");
            var mma = NvrtcCompiler.CompileUncached(KernelSource.FromText("mma_fragments.cu", File.ReadAllText(mmaPath)), arch);
            Assert.That(mma.Kernels.Select(k => k.Kernel), Does.Contain("mma_tf32_fragments_kernel").And.Contain("mma_bf16_fragments_kernel").And.Contain("ldmatrix_x4_kernel").And.Contain("cp_async_groups_kernel"), $"{arch}");
            Assert.That(mma.Kernels.All(k => k.SpillBytes == 0), $"{arch}: no spills");
        }
    }

    [Test]
    public void CompileErrorNamesFileAndLine()
    {
        Nvrtc.RequireOrIgnore();
        var src = KernelSource.FromText("broken.cu", "#include \"nc_cuda.cuh\"\n\nextern \"C\" __global__ void k(float* y)\n{\n    y[0] = undefined_name;\n}\n");
        var e = Assert.Throws<CompileException>(() => NvrtcCompiler.CompileUncached(src, GpuArch.Sm90))!;
        Assert.That(e.Location, Is.EqualTo("broken.cu:5"));
        Assert.That(e.Message, Does.StartWith("NVRTC could not compile broken.cu:5 for sm_90").And.Contain("undefined_name"));
    }

    [Test]
    public void CacheHitsAndTwoParallelCompilesLeaveOneValidEntry()
    {
        Nvrtc.RequireOrIgnore();
        var dir = Path.Combine(CacheDir, "parallel");
        var src = KernelSource.Load("reduction");
        var results = new CompiledModule[2];
        using var start = new Barrier(2);
        var threads = Enumerable.Range(0, 2).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            results[i] = new KernelCache(dir).GetOrCompile(src, GpuArch.Sm80);
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        var files = Directory.GetFiles(dir);
        Assert.That(files.Select(Path.GetFileName), Has.Exactly(1).EndsWith(".nck").And.Exactly(1).Items, "one entry, no temporary files left");
        Assert.That(results[0].Cubin, Is.EqualTo(results[1].Cubin));
        var again = new KernelCache(dir).GetOrCompile(src, GpuArch.Sm80);
        Assert.That(again.FromCache, Is.True);
        Assert.That(again.Cubin, Is.EqualTo(results[0].Cubin));
        Assert.That(again.Kernels, Is.EqualTo(results[0].Kernels));
        Assert.That(new KernelCache(dir).GetOrCompile(src, GpuArch.Sm90).FromCache, Is.False, "another arch is another key");
    }

    [Test]
    public void ReportCoversEveryKernelWithOccupancy()
    {
        Nvrtc.RequireOrIgnore();
        var rows = KernelReport.CompileAll(GpuArch.Sm90, new KernelCache(CacheDir));
        int expected = KernelFamily.AllLaunchShapes.Values.Sum(s => s.Count);
        Assert.That(rows, Has.Count.EqualTo(expected));
        Assert.That(rows.All(r => r.Occupancy is { Fraction: > 0 }), KernelReport.Format(rows));
        TestContext.Out.WriteLine(KernelReport.Format(rows));
    }
}

/// <summary>The ptxas log parser and the occupancy formula, on fixed inputs (no NVRTC needed).</summary>
public class PtxasReportAndOccupancyTests
{
    private const string Log = """
        ptxas info    : 0 bytes gmem
        ptxas info    : Compiling entry function 'tiled_kernel' for 'sm_90'
        ptxas info    : Function properties for tiled_kernel
        ptxas         .     8 bytes stack frame, 4 bytes spill stores, 12 bytes spill loads
        ptxas info    : Used 72 registers, 8320 bytes smem, 400 bytes cmem[0]
        ptxas info    : Function properties for helper
        ptxas         .     16 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
        ptxas info    : Compiling entry function 'plain_kernel' for 'sm_90'
        ptxas info    : Function properties for plain_kernel
        ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
        ptxas info    : Used 8 registers
        """;

    [Test]
    public void ParsesEntriesIgnoringDeviceFunctions()
    {
        var r = PtxasReport.Parse(Log);
        Assert.That(r, Is.EqualTo(new[]
        {
            new KernelResources("tiled_kernel", 72, 8320, 8, 4, 12),
            new KernelResources("plain_kernel", 8, 0, 0, 0, 0),
        }));
        Assert.That(r[0].SpillBytes, Is.EqualTo(16));
    }

    // Values checked by hand against the formula in Occupancy's documentation.
    [TestCase(8, 0, 0, 256, 8, 64, "warps")]            // 64/8 warps → 8 blocks
    [TestCase(72, 0, 0, 256, 3, 24, "registers")]       // 72·32 = 2304 regs/warp → 28 warps → 3 blocks
    [TestCase(32, 40960, 0, 128, 5, 20, "shared memory")] // (40960+1024) → 41984 B/block; 228 KB / 41984 = 5
    [TestCase(16, 0, 0, 32, 32, 32, "blocks")]          // 32-block cap
    public void TheoreticalOccupancySm90(int regs, int smem, int dyn, int threads, int blocks, int warps, string limiter)
    {
        var o = Occupancy.Theoretical(GpuArch.Sm90, regs, smem, dyn, threads);
        Assert.That((o.BlocksPerSm, o.ActiveWarps, o.Limiter), Is.EqualTo((blocks, warps, limiter)));
    }

    [Test]
    public void SharedMemoryLimitDiffersBetweenSm80AndSm90()
    {
        Assert.That(Occupancy.Theoretical(GpuArch.Sm80, 32, 48 * 1024, 0, 128).BlocksPerSm, Is.EqualTo(3));   // 164 KB / 49 KB
        Assert.That(Occupancy.Theoretical(GpuArch.Sm90, 32, 48 * 1024, 0, 128).BlocksPerSm, Is.EqualTo(4));   // 228 KB / 49 KB
    }
}
