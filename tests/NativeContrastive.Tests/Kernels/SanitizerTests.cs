using System.Runtime.InteropServices;
using NativeContrastive.Engine.Data;
using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// Every kernel family on small shapes under AddressSanitizer and ThreadSanitizer (kernels
/// instrumented, emu runtime not; TSan sees each CUDA thread as a fiber and barriers as
/// release/acquire). They run in a child process (nc-emu-runner on a script recorded by
/// ScriptDriver), so a report or a crash fails the test and never the test host. Planted bugs
/// prove each sanitizer run can fail: an off-by-one write (ASan) and a missing __syncthreads (TSan).
/// </summary>
[Category("Sanitizer")]
[NonParallelizable]
public class SanitizerTests
{
    private string work = "";

    [OneTimeSetUp]
    public void Build()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            Assert.Ignore("the sanitizer builds are made for linux-x64");
        EmuBuild.EnsureBuilt("release", "asan", "tsan");
        work = Path.Combine(Path.GetTempPath(), $"nc-sanitizer-{Environment.ProcessId}");
    }

    [OneTimeTearDown]
    public void Clean()
    {
        if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
    }

    private static readonly Dictionary<string, string> Env = new()
    {
        ["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0:exitcode=23",
        ["TSAN_OPTIONS"] = "exitcode=66:halt_on_error=1:report_signal_unsafe=0",
    };

    /// <summary>Each family's launchers on small awkward shapes; returns the downloaded outputs in order.</summary>
    private static List<float[]> Scenario(IKernelDriver d)
    {
        var outs = new List<float[]>();
        DeviceBuffer Up(float[] a) => DeviceBuffer.From(d, a);
        DeviceBuffer Z(int n) => DeviceBuffer.Allocate<float>(d, n);
        float[] x = EmuKernelTest.Data(37 * 45, 1), w = EmuKernelTest.Data(45 * 19, 2);
        using var dx = Up(x);
        using var dw = Up(w);
        using var y = Z(37 * 45);
        var ew = new ElementwiseKernels(d);
        ew.Relu(dx, y, 37 * 45); outs.Add(y.ToArray<float>());
        ew.BiasAdd(dx, dw, y, 37, 45); outs.Add(y.ToArray<float>());
        var red = new ReductionKernels(d);
        using var r = Z(45);
        r.Fill(0);
        red.Sum(dx, 37 * 45, r); outs.Add(r.ToArray<float>());
        red.RowSums(dx, r, 37, 1); outs.Add(r.ToArray<float>());
        red.ColumnSums(dx, r, 37, 45); outs.Add(r.ToArray<float>());
        var gemm = new GemmKernels(d);
        using var c = Z(37 * 19);
        gemm.Gemm(false, false, 37, 19, 45, 1f, dx, dw, 0f, c, GemmVersion.Tiled); outs.Add(c.ToArray<float>());
        gemm.Gemm(true, true, 45, 37, 19, 1f, dw, c, 0f, y, GemmVersion.Naive); outs.Add(y.ToArray<float>());
        var sm = new SoftmaxKernels(d);
        using var t = DeviceBuffer.From(d, Enumerable.Range(0, 37).Select(i => i % 45).ToArray());
        using var loss = Z(37);
        sm.LogSoftmax(dx, y, 37, 45); outs.Add(y.ToArray<float>());
        sm.CrossEntropy(dx, t, loss, 37, 45); outs.Add(loss.ToArray<float>());
        sm.CrossEntropyBackward(dx, t, loss, y, 37, 45); outs.Add(y.ToArray<float>());
        sm.MaskDiagonal(dx, y, 37, 45, -1e9f); outs.Add(y.ToArray<float>());
        var l2 = new L2NormKernels(d);
        using var norms = Z(37);
        l2.Normalize(dx, y, norms, 37, 45); outs.Add(y.ToArray<float>());
        using var dxx = Z(37 * 45);
        l2.NormalizeBackward(y, norms, dx, dxx, 37, 45); outs.Add(dxx.ToArray<float>());
        var ix = new IndexKernels(d);
        using var idx = DeviceBuffer.From(d, new[] { 3, 0, 3, 36, 7 });
        using var g = Z(5 * 45);
        ix.GatherRows(dx, idx, g, 5, 45); outs.Add(g.ToArray<float>());
        ix.ScatterAddRows(g, idx, y, 5, 45); outs.Add(y.ToArray<float>());
        var rnd = new RandomKernels(d);
        rnd.Normal(y, 37 * 45, 5, 6); outs.Add(y.ToArray<float>());
        using var m = Z(37 * 45);
        using var v = Z(37 * 45);
        m.Fill(0);
        v.Fill(0);
        var opt = new OptimKernels(d);
        opt.AdamW(y, dx, m, v, 37 * 45, 1, 0.01f); outs.Add(y.ToArray<float>());
        opt.SgdMomentum(y, dx, v, 37 * 45, 0.1f, 0.9f, 1e-4f); outs.Add(y.ToArray<float>());
        // The device backend's kernels.
        ew.Axpby(0.5f, dx, 0f, y, 37 * 45); outs.Add(y.ToArray<float>());
        ew.Affine(dx, 2f, -1f, y, 37 * 45); outs.Add(y.ToArray<float>());
        ew.CopyBlocks(dx, 3, 45, y, 1, 45, 20, 37); outs.Add(y.ToArray<float>());
        red.SumOfSquares(dx, 37 * 45, r, m); outs.Add(r.ToArray<float>());
        red.BroadcastColumn(dx, 2f, y, 37, 45); outs.Add(y.ToArray<float>());
        red.BroadcastRow(dx, 2f, y, 37, 45); outs.Add(y.ToArray<float>());
        gemm.GemmStridedBatched(false, true, 3, 19, 15, 1f, dx, 0, 45, dw, 0, 0, 0f, c, 0, 3 * 19, 5); outs.Add(c.ToArray<float>());
        gemm.Transpose(dx, y, 1, 37, 45); outs.Add(y.ToArray<float>());
        using var errors = IndexErrors.Allocate(d);
        sm.PickPerRow(dx, t, loss, 37, 45, errors); outs.Add(loss.ToArray<float>());
        sm.PickPerRowBackward(loss, t, y, 37, 45, errors); outs.Add(y.ToArray<float>());
        opt.Sgd(y, dx, 37 * 45, 0.1f, 1e-4f); outs.Add(y.ToArray<float>());
        opt.SgdMomentum(y, dx, v, 37 * 45, 0.1f, 0.9f, 1e-4f, nesterov: true); outs.Add(y.ToArray<float>());
        opt.Adam(y, dx, m, v, 37 * 45, 2, 0.01f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled: false); outs.Add(y.ToArray<float>());
        using var larsScratch = DeviceBuffer.Allocate(d, OptimKernels.LarsScratchBytes);
        opt.LarsUpdate(y, dx, v, larsScratch, 37 * 45, 0.1f, 0.9f, 1e-6f, 0.001f, adapt: true, nesterov: true); outs.Add(y.ToArray<float>());
        var con = new ContrastiveKernels(d);
        using var pos = DeviceBuffer.From(d, Enumerable.Range(0, 37).Select(i => (i + 18) % 37).ToArray());
        using var lse = Z(37);
        con.InfoNceRows(dx, pos, 0.5f, true, 37, 45, loss, lse, errors); outs.Add(loss.ToArray<float>());
        con.InfoNceRowsBackward(dx, pos, lse, loss, 0.5f, true, 37, 45, y, errors); outs.Add(y.ToArray<float>());
        using var nceZ = DeviceBuffer.From(d, new[] { 10f });
        con.NceRows(dx, nceZ, 1000, 37, 45, loss); outs.Add(loss.ToArray<float>());
        con.NceRowsBackward(dx, loss, nceZ, 1000, 37, 45, y); outs.Add(y.ToArray<float>());
        using var classes = DeviceBuffer.From(d, Enumerable.Range(0, 45).Select(i => i * 7 % 11).ToArray());
        using var positives = DeviceBuffer.Allocate<int>(d, 37);
        con.SupConRows(dx, classes, 0.1f, 37, 45, loss, lse, positives); outs.Add(loss.ToArray<float>());
        con.SupConRowsBackward(dx, classes, lse, positives, loss, 0.1f, 37, 45, y); outs.Add(y.ToArray<float>());
        ix.MomentumUpdateRows(y, idx, g, 0.5f, 5, 45, 37, errors); outs.Add(y.ToArray<float>());
        var knn = new KnnKernels(d);
        using var topV = Z(37 * 7);
        using var topI = DeviceBuffer.Allocate<int>(d, 37 * 7);
        knn.TopKRows(dx, 37, 45, 7, topV, topI); outs.Add(topV.ToArray<float>()); outs.Add(topI.ToArray<float>());
        using var votes = Z(37 * 3);
        using var labels = DeviceBuffer.From(d, Enumerable.Range(0, 45).Select(i => i % 3).ToArray());
        knn.KnnVote(topV, topI, labels, 45, 37, 7, 3, 0.1f, votes, errors); outs.Add(votes.ToArray<float>());
        using var flat = Up(Enumerable.Repeat(0.5f, 5000).ToArray());   // all ties: selection from global memory
        knn.TopKRows(flat, 1, 5000, 3, topV, topI); outs.Add(topI.ToArray<float>());
        var arg = new ArgMaxKernels(d);
        using var argV = Z(37);
        using var argI = DeviceBuffer.Allocate<int>(d, 37);
        arg.ArgMaxRows(dx, 37, 45, argV, argI); outs.Add(argV.ToArray<float>()); outs.Add(argI.ToArray<float>());
        arg.ArgMinRows(dx, 37, 45, argV, argI); outs.Add(argV.ToArray<float>()); outs.Add(argI.ToArray<float>());
        var sk = new SinkhornKernels(d);
        using (var skScratch = DeviceBuffer.Allocate(d, Math.Max(SinkhornKernels.ScratchBytes(37, 45), SinkhornKernels.ScratchBytes(37, 45, 16))))
        {
            sk.SinkhornCodes(dx, y, 37, 45, 0.05f, 3, skScratch, slabRows: 16); outs.Add(y.ToArray<float>());   // slabs 16, 16, 5
            sk.SinkhornCodes(dx, y, 37, 45, 0.05f, 2, skScratch); outs.Add(y.ToArray<float>());
        }
        ConvNormPoolScenario(d, outs);
        ConvMmaScenario(d, outs);
        // augment: every step on, blur included (shared-memory staging of rows and columns).
        var aug = AugmentationConfig.SimClr(9, 3, strength: 1f) with { Seed = 4, JitterProbability = 1, BlurProbability = 1, BlurKernelSize = 3 };
        int[] samples = [1, 0, 1];
        var draws = samples.Select((i, b) => AugmentationDraws.Draw(aug, 12, 10, 0, i, b)).ToArray();
        using var pixels = DeviceBuffer.From(d, Enumerable.Range(0, 2 * 3 * 12 * 10).Select(i => (byte)(i * 37 % 251)).ToArray());
        using var records = DeviceBuffer.From(d, AugmentViewRecords.Pack(aug, 3, samples, draws));
        using var views = Z(3 * 3 * 9 * 9);
        new AugmentKernels(d).AugmentViews(pixels, 2, 3, 12, 10, records, 3, 9, AugmentViewRecords.BlurTaps(aug), views); outs.Add(views.ToArray<float>());
        return outs;
    }

    /// <summary>
    /// conv_mma.cu at tf32 and bf16, 64- and 128-row tiles, on a small odd shape: partial tiles, a split
    /// backward weight, and at least four 16-deep slices in each op's longest reduction (forward
    /// 8·3·3 = 72, backward data 20·2·2 = 80 in its four-tap phase, backward weight 4·5·5 / 2 = 50), so the
    /// tf32 ring refills a slot that was read before. The emulator poisons a cp.async destination at
    /// the issue, so a refill not separated by a barrier from the slot's last reads is a data race here.
    /// </summary>
    private static void ConvMmaScenario(IKernelDriver d, List<float[]> outs)
    {
        var g = new ConvShape(4, 8, 9, 9, 20, 3, 3, 2, 2, 1, 1);
        using var x = DeviceBuffer.From(d, EmuKernelTest.Data(g.InputLength, 21));
        using var w = DeviceBuffer.From(d, EmuKernelTest.Data(g.WeightLength, 22));
        using var bias = DeviceBuffer.From(d, EmuKernelTest.Data(g.K, 23));
        using var y = DeviceBuffer.Allocate<float>(d, g.OutputLength);
        using var dx = DeviceBuffer.Allocate<float>(d, g.InputLength);
        using var dw = DeviceBuffer.Allocate<float>(d, g.WeightLength);
        using var mma = new ConvMmaKernels(d);
        foreach (var p in new[] { Precision.Tf32, Precision.Bf16 })
            foreach (int rows in new[] { ConvMmaKernels.ShortTileRows, ConvMmaKernels.TallTileRows })
            {
                mma.Conv2dForward(x, w, bias, y, g, p, splits: 1, rows); outs.Add(y.ToArray<float>());
                mma.Conv2dBackwardData(y, w, dx, g, p, splits: 1, rows); outs.Add(dx.ToArray<float>());
                mma.Conv2dBackwardWeight(x, y, dw, null, g, p, splits: 2, rows); outs.Add(dw.ToArray<float>());
            }
    }

    /// <summary>conv.cu, batchnorm.cu and pool.cu on tiny odd shapes (partial tiles, split reductions).</summary>
    private static void ConvNormPoolScenario(IKernelDriver d, List<float[]> outs)
    {
        var g = new ConvShape(2, 3, 7, 5, 5, 3, 3, 2, 2, 1, 1);   // P×Q = 4×3
        using var x = DeviceBuffer.From(d, EmuKernelTest.Data(g.InputLength, 11));
        using var w = DeviceBuffer.From(d, EmuKernelTest.Data(g.WeightLength, 12));
        using var bias = DeviceBuffer.From(d, EmuKernelTest.Data(g.K, 13));
        using var y = DeviceBuffer.Allocate<float>(d, g.OutputLength);
        using var dx = DeviceBuffer.Allocate<float>(d, g.InputLength);
        using var dw = DeviceBuffer.Allocate<float>(d, g.WeightLength);
        using var db = DeviceBuffer.Allocate<float>(d, g.K);
        using (var conv = new ConvKernels(d))
        {
            conv.Conv2dForward(x, w, bias, y, g); outs.Add(y.ToArray<float>());
            conv.Conv2dBackwardData(y, w, dx, g); outs.Add(dx.ToArray<float>());
            conv.Conv2dBackwardWeight(x, y, dw, db, g, splits: 2); outs.Add(dw.ToArray<float>()); outs.Add(db.ToArray<float>());
        }

        int n = g.N, c = g.K, hw = g.P * g.Q;
        using var gamma = DeviceBuffer.From(d, EmuKernelTest.Data(c, 14, 0.5f, 1.5f));
        using var beta = DeviceBuffer.From(d, EmuKernelTest.Data(c, 15));
        using var mean = DeviceBuffer.Allocate<float>(d, c);
        using var invStd = DeviceBuffer.Allocate<float>(d, c);
        using var rm = DeviceBuffer.From(d, new float[c]);
        using var rv = DeviceBuffer.From(d, Enumerable.Repeat(1f, c).ToArray());
        using var z = DeviceBuffer.Allocate<float>(d, g.OutputLength);
        using var dz = DeviceBuffer.Allocate<float>(d, g.OutputLength);
        using var dgamma = DeviceBuffer.Allocate<float>(d, c);
        using var dbeta = DeviceBuffer.Allocate<float>(d, c);
        using (var bn = new BatchNormKernels(d))
        {
            bn.BatchNormForwardTraining(y, gamma, beta, z, mean, invStd, rm, rv, n, c, hw, 0.1f, 1e-5f, relu: true, splits: 2);
            outs.Add(z.ToArray<float>()); outs.Add(mean.ToArray<float>()); outs.Add(invStd.ToArray<float>()); outs.Add(rv.ToArray<float>());
            bn.BatchNormBackward(y, y, z, gamma, mean, invStd, dz, dgamma, dbeta, n, c, hw, splits: 2);
            outs.Add(dz.ToArray<float>()); outs.Add(dgamma.ToArray<float>()); outs.Add(dbeta.ToArray<float>());
            bn.BatchNormForwardInference(y, gamma, beta, z, rm, rv, n, c, hw, 1e-5f, relu: false); outs.Add(z.ToArray<float>());
        }

        var pool = new PoolKernels(d);
        var pg = new PoolShape(n, c, g.P, g.Q, 3, 2, 1);   // 4×3 → 2×2
        using var py = DeviceBuffer.Allocate<float>(d, pg.OutputLength);
        using var arg = DeviceBuffer.Allocate<int>(d, pg.OutputLength);
        pool.MaxPool2dForward(z, py, arg, pg); outs.Add(py.ToArray<float>());   // argmax is checked through the backward's dz
        pool.MaxPool2dBackward(py, arg, dz, pg); outs.Add(dz.ToArray<float>());
        using var gap = DeviceBuffer.Allocate<float>(d, n * c);
        pool.GlobalAvgPoolForward(z, gap, n, c, hw); outs.Add(gap.ToArray<float>());
        pool.GlobalAvgPoolBackward(gap, dz, n, c, hw); outs.Add(dz.ToArray<float>());
    }

    private static IEnumerable<float[]> AsFloats(IEnumerable<byte[]> raw) => raw.Select(b => MemoryMarshal.Cast<byte, float>(b).ToArray());

    [TestCase("asan")]
    [TestCase("tsan")]
    public void EveryFamilyIsCleanAndMatchesInProcessResults(string variant)
    {
        var expected = Scenario(Emu.Driver);
        var script = new ScriptDriver(variant, Path.Combine(work, variant), EmuOrder.Random, seed: 3);
        Scenario(script);
        var result = script.Run(Env, TimeSpan.FromMinutes(3));
        Assert.That(result.ExitCode, Is.Zero, $"{variant} run failed:\n{result.StandardError}");
        Assert.That(result.StandardError, Does.Not.Contain("WARNING: ThreadSanitizer").And.Not.Contain("ERROR: AddressSanitizer"));
        var actual = AsFloats(result.Downloads).ToList();
        Assert.That(actual, Has.Count.EqualTo(expected.Count));
        for (int i = 0; i < expected.Count; i++) Close.Assert(expected[i], actual[i], 1e-5f, 1e-5f, $"{variant} output {i}");
        TestContext.Out.WriteLine($"{variant}: {result.Elapsed.TotalSeconds:F1} s");
    }

    [Test]
    public void AddressSanitizerReportsAnOutOfBoundsWrite()
    {
        var script = new ScriptDriver("asan", Path.Combine(work, "asan-oob"));
        using var y = DeviceBuffer.Allocate<float>(script, 40);
        script.Launch(script.Module("emu_semantics").Function("out_of_bounds_kernel"), 2, 32, 0, new KernelArgs().Ptr(y).I32(40));
        var result = script.Run(Env);
        Assert.That(result.ExitCode, Is.Not.Zero);
        Assert.That(result.StandardError, Does.Contain("heap-buffer-overflow").And.Contain("out_of_bounds_kernel"));
    }

    /// <summary>One block of 64 threads of <paramref name="kernel"/>(x, y) under ThreadSanitizer, x and y of <paramref name="elements"/> floats.</summary>
    private ScriptDriver.RunResult RunUnderTsan(string module, string kernel, int elements)
    {
        var script = new ScriptDriver("tsan", Path.Combine(work, $"tsan-{kernel}"));
        using var x = DeviceBuffer.From(script, EmuKernelTest.Data(elements, 1));
        using var y = DeviceBuffer.Allocate<float>(script, elements);
        script.Launch(script.Module(module).Function(kernel), 1, 64, 0, new KernelArgs().Ptr(x).Ptr(y));
        return script.Run(Env);
    }

    // block_reverse_racy: a thread reads s[n−1−i] with no barrier after its owner's write.
    // between_barriers_racy: both barriers are there, the race is between them (a thread leaving the first
    //   must not inherit the releases of threads already at the second).
    // cp_async_refill_while_read: the poison write races with the other warp's read of the stage.
    [TestCase("emu_semantics", "block_reverse_racy_kernel", 64)]
    [TestCase("emu_semantics", "between_barriers_racy_kernel", 64)]
    [TestCase("mma_fragments", "cp_async_refill_while_read_kernel", 32)]
    public void ThreadSanitizerReportsThePlantedRace(string module, string kernel, int elements)
    {
        var result = RunUnderTsan(module, kernel, elements);
        Assert.That(result.ExitCode, Is.Not.Zero);
        Assert.That(result.StandardError, Does.Contain("data race").And.Contain(kernel));
    }

    [Test]
    public void ThreadSanitizerFindsNoRaceInTheKernelWithItsBarrier()
    {
        var result = RunUnderTsan("emu_semantics", "block_reverse_kernel", 64);
        Assert.That(result.ExitCode, Is.Zero, "block_reverse_racy_kernel with its barrier is clean:\n" + result.StandardError);
    }
}
