using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.KernelTests;
using NUnit.Framework;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.Backends.Device;

/// <summary>
/// Every primitive the device backend runs as its own kernels, on the device under test and on
/// the cpu backend with the same random inputs, compared element by element. Shapes are small
/// (the emulator is slow) and odd: rows and columns that are not multiples of a warp, a block
/// or a GEMM tile. Tolerances, as |device − cpu| ≤ atol + rtol·|cpu|:
/// - exact (0, 0): moves, picks, masks, gathers, broadcasts, single adds and products;
/// - 1e-6, 1e-6: other maps of one rounding each (fma contraction on the GPU, exp/log ulps);
/// - sums, GEMMs and row reductions: atol scaled by Σ|terms| · 1e-6, since the summation order
///   differs (warp butterflies and block partials vs the cpu's SIMD lanes);
/// - optimiser updates 1e-6, 1e-5 (a few roundings per step, sqrt).
/// Derived fixtures pick the device (emu in three fiber orders, cuda on a GPU).
/// </summary>
public abstract class BackendConformance
{
    private TensorScope? scope;

    /// <summary>The backend under test.</summary>
    protected abstract IBackend Device { get; }

    protected static CpuBackend Cpu => CpuBackend.Instance;

    [SetUp]
    public void BeginScope() => scope = TensorScope.Begin();

    [TearDown]
    public void EndScope() => scope?.Dispose();

    /// <summary>The same uniform random tensor on the cpu and on the device.</summary>
    protected (Tensor C, Tensor D) Pair(int seed, int[] shape, float lo = -1f, float hi = 1f)
    {
        var data = TestData.Uniform(seed, ShapeCount(shape), lo, hi);
        return (Tensor.FromArray(Cpu, data, shape), Tensor.FromArray(Device, data, shape));
    }

    protected (IntTensor C, IntTensor D) IntPair(int[] data) => (IntTensor.FromArray(Cpu, data), IntTensor.FromArray(Device, data));

    /// <summary>Uninitialised outputs of one shape on both backends, the device one filled with NaN so an unwritten element shows.</summary>
    protected (Tensor C, Tensor D) Outputs(params int[] shape)
    {
        var d = Tensor.Empty(Device, shape);
        Device.Fill(d, float.NaN);
        return (Tensor.Empty(Cpu, shape), d);
    }

    protected static void Same((Tensor C, Tensor D) t, float atol, float rtol, string what) => Close.Assert(t.C.ToArray(), t.D.ToArray(), atol, rtol, what);

    private static long ShapeCount(int[] shape) => shape.Aggregate(1L, (a, b) => a * b);

    private static float AbsSum(Tensor t) => t.ToArray().Sum(MathF.Abs);

    // ---- memory ------------------------------------------------------------------------

    [Test]
    public void CopiesFillAndBlockCopies()
    {
        var x = Pair(1, [7, 45]);
        var y = Outputs(7, 45);
        Cpu.Copy(x.C, y.C); Device.Copy(x.D, y.D);
        Same(y, 0, 0, "Copy");
        Cpu.Fill(y.C, 2.5f); Device.Fill(y.D, 2.5f);
        Same(y, 0, 0, "Fill");
        // Concat-style: 7 blocks of 45 into a [7, 100] at column offset 33, and back out.
        var wide = Pair(2, [7, 100]);
        Cpu.CopyBlocks(x.C, 0, 45, wide.C, 33, 100, 45, 7); Device.CopyBlocks(x.D, 0, 45, wide.D, 33, 100, 45, 7);
        Same(wide, 0, 0, "CopyBlocks into");
        var part = Outputs(7, 21);
        Cpu.CopyBlocks(wide.C, 70, 100, part.C, 0, 21, 21, 7); Device.CopyBlocks(wide.D, 70, 100, part.D, 0, 21, 21, 7);
        Same(part, 0, 0, "CopyBlocks out of");
        var ints = IntPair([3, -1, 7, int.MaxValue, 0]);
        Assert.That(ints.D.ToArray(), Is.EqualTo(ints.C.ToArray()), "int round trip");
    }

    // ---- elementwise -------------------------------------------------------------------

    [TestCase(1)]
    [TestCase(1029)]
    public void ElementwiseMaps(int n)
    {
        var a = Pair(3, [n], -2, 2);
        var b = Pair(4, [n], -2, 2);
        var pos = Pair(5, [n], 0.01f, 4);
        var y = Outputs(n);
        Cpu.Add(a.C, b.C, y.C); Device.Add(a.D, b.D, y.D); Same(y, 0, 0, "Add");
        Cpu.Mul(a.C, b.C, y.C); Device.Mul(a.D, b.D, y.D); Same(y, 0, 0, "Mul");
        Cpu.Affine(a.C, -1.5f, 0.25f, y.C); Device.Affine(a.D, -1.5f, 0.25f, y.D); Same(y, 1e-6f, 1e-6f, "Affine");
        Cpu.Exp(a.C, y.C); Device.Exp(a.D, y.D); Same(y, 1e-6f, 1e-6f, "Exp");
        Cpu.Log(pos.C, y.C); Device.Log(pos.D, y.D); Same(y, 1e-6f, 1e-6f, "Log");
        Cpu.Relu(a.C, y.C); Device.Relu(a.D, y.D); Same(y, 0, 0, "Relu");
        var dx = Outputs(n);
        Cpu.ReluBackward(y.C, b.C, dx.C); Device.ReluBackward(y.D, b.D, dx.D); Same(dx, 0, 0, "ReluBackward");
        Cpu.Affine(a.C, 3f, 0f, a.C); Device.Affine(a.D, 3f, 0f, a.D); Same(a, 1e-6f, 1e-6f, "Affine in place");
    }

    [Test]
    public void AxpbyAccumulatesAndBetaZeroIgnoresNaN()
    {
        var x = Pair(6, [333]);
        var y = Pair(7, [333]);
        Cpu.Axpby(0.5f, x.C, 1f, y.C); Device.Axpby(0.5f, x.D, 1f, y.D); Same(y, 1e-6f, 1e-6f, "Axpby β=1");
        Cpu.Axpby(-2f, x.C, 0.75f, y.C); Device.Axpby(-2f, x.D, 0.75f, y.D); Same(y, 1e-6f, 1e-6f, "Axpby β=0.75");
        Cpu.Fill(y.C, float.NaN); Device.Fill(y.D, float.NaN);
        Cpu.Axpby(1.25f, x.C, 0f, y.C); Device.Axpby(1.25f, x.D, 0f, y.D);
        Same(y, 0, 0, "Axpby β=0");
        Assert.That(y.D.ToArray().All(float.IsFinite), "β = 0 must not read y's NaN");
    }

    // ---- reductions ----------------------------------------------------------------------

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(70001)]
    public void WholeTensorSums(int n)
    {
        var x = Pair(8, [n], -1, 1);
        var s = Outputs(1);
        Cpu.Sum(x.C, s.C); Device.Sum(x.D, s.D);
        float scale = n == 0 ? 0 : AbsSum(x.C);
        Same(s, 1e-6f * scale + 1e-7f, 0, "Sum");
        Cpu.SumOfSquares(x.C, s.C); Device.SumOfSquares(x.D, s.D);
        Same(s, 1e-6f * scale + 1e-7f, 1e-6f, "SumOfSquares");
    }

    [TestCase(37, 45)]
    [TestCase(1, 1)]
    [TestCase(5, 300)]
    public void RowAndColumnSumsAndBroadcasts(int rows, int cols)
    {
        var x = Pair(9, [rows, cols]);
        var r = Outputs(rows);
        Cpu.SumRows(x.C, rows, cols, r.C); Device.SumRows(x.D, rows, cols, r.D);
        Same(r, 1e-6f * cols, 1e-6f, "SumRows");
        var c = Outputs(cols);
        Cpu.SumColumns(x.C, rows, cols, c.C); Device.SumColumns(x.D, rows, cols, c.D);
        Same(c, 1e-6f * rows, 1e-6f, "SumColumns");
        var v = Pair(10, [cols]);
        var y = Outputs(rows, cols);
        Cpu.AddRowVector(x.C, v.C, rows, cols, y.C); Device.AddRowVector(x.D, v.D, rows, cols, y.D); Same(y, 0, 0, "AddRowVector");
        var col = Pair(11, [rows]);
        Cpu.BroadcastColumn(col.C, -0.5f, rows, cols, y.C); Device.BroadcastColumn(col.D, -0.5f, rows, cols, y.D); Same(y, 0, 0, "BroadcastColumn");
        Cpu.BroadcastRow(v.C, 3f, rows, cols, y.C); Device.BroadcastRow(v.D, 3f, rows, cols, y.D); Same(y, 0, 0, "BroadcastRow");
    }

    // ---- gemm ------------------------------------------------------------------------------

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    [TestCase(true, true)]
    public void GemmWithOffsetsAndTransposes(bool transA, bool transB)
    {
        int m = 37, n = 70, k = 19;
        const int aOff = 5, bOff = 3, cOff = 11;
        var a = Pair(12, [aOff + m * k]);
        var b = Pair(13, [bOff + k * n]);
        var c = Pair(14, [cOff + m * n + 4]);
        Cpu.Gemm(transA, transB, m, n, k, 0.75f, a.C, aOff, b.C, bOff, 0.5f, c.C, cOff);
        Device.Gemm(transA, transB, m, n, k, 0.75f, a.D, aOff, b.D, bOff, 0.5f, c.D, cOff);
        Same(c, 1e-6f * k, 1e-6f, "Gemm β=0.5 (elements outside C's range must stay)");
        Cpu.Fill(c.C, float.NaN); Device.Fill(c.D, float.NaN);
        Cpu.Gemm(transA, transB, m, n, k, 1f, a.C, aOff, b.C, bOff, 0f, c.C, cOff);
        Device.Gemm(transA, transB, m, n, k, 1f, a.D, aOff, b.D, bOff, 0f, c.D, cOff);
        Same(c, 1e-6f * k, 1e-6f, "Gemm β=0 over NaN");
    }

    [Test]
    public void GemmStridedBatchedBroadcastsAZeroStride()
    {
        int m = 3, n = 33, k = 20, count = 5;
        var a = Pair(15, [m * k]);              // stride 0: one A for every batch
        var b = Pair(16, [count, n, k]);        // transB
        var c = Outputs(count, m, n);
        Cpu.GemmStridedBatched(false, true, m, n, k, 1f, a.C, 0, b.C, n * k, 0f, c.C, m * n, count);
        Device.GemmStridedBatched(false, true, m, n, k, 1f, a.D, 0, b.D, n * k, 0f, c.D, m * n, count);
        Same(c, 1e-6f * k, 1e-6f, "GemmStridedBatched");
        // NPID's shape: one row per batch (BatchedRowDot), A strided, accumulate with β = 1.
        var rows = Pair(17, [count, k]);
        var acc = Pair(18, [count, n]);
        Cpu.GemmStridedBatched(false, true, 1, n, k, 2f, rows.C, k, b.C, n * k, 1f, acc.C, n, count);
        Device.GemmStridedBatched(false, true, 1, n, k, 2f, rows.D, k, b.D, n * k, 1f, acc.D, n, count);
        Same(acc, 2e-6f * k, 1e-6f, "GemmStridedBatched m=1, β=1");
    }

    [TestCase(1, 37, 45)]
    [TestCase(3, 5, 70)]
    public void TransposeBatched(int batch, int rows, int cols)
    {
        var x = Pair(19, [batch, rows, cols]);
        var y = Outputs(batch, cols, rows);
        Cpu.Transpose(x.C, batch, rows, cols, y.C); Device.Transpose(x.D, batch, rows, cols, y.D);
        Same(y, 0, 0, "Transpose");
    }

    // ---- softmax family ------------------------------------------------------------------------

    [TestCase(37, 45)]
    [TestCase(9, 1)]
    [TestCase(4, 129)]
    public void LogSoftmaxRowsAndBackward(int rows, int cols)
    {
        var x = Pair(20, [rows, cols], -8, 8);
        var y = Outputs(rows, cols);
        Cpu.LogSoftmaxRows(x.C, y.C, rows, cols); Device.LogSoftmaxRows(x.D, y.D, rows, cols);
        Same(y, 1e-5f, 1e-6f, "LogSoftmaxRows");
        var dy = Pair(21, [rows, cols]);
        var dx = Outputs(rows, cols);
        Cpu.LogSoftmaxRowsBackward(y.C, dy.C, dx.C, rows, cols); Device.LogSoftmaxRowsBackward(y.D, dy.D, dx.D, rows, cols);
        Same(dx, 1e-6f * cols, 1e-5f, "LogSoftmaxRowsBackward");
    }

    [Test]
    public void PickPerRowAndBackwardAndFillDiagonal()
    {
        int rows = 37, cols = 45;
        var x = Pair(22, [rows, cols]);
        var idx = IntPair(Enumerable.Range(0, rows).Select(r => (r * 7 + 3) % cols).ToArray());
        var picked = Outputs(rows);
        Cpu.PickPerRow(x.C, idx.C, picked.C, rows, cols); Device.PickPerRow(x.D, idx.D, picked.D, rows, cols);
        Same(picked, 0, 0, "PickPerRow");
        var dx = Outputs(rows, cols);
        Cpu.PickPerRowBackward(picked.C, idx.C, dx.C, rows, cols); Device.PickPerRowBackward(picked.D, idx.D, dx.D, rows, cols);
        Same(dx, 0, 0, "PickPerRowBackward");
        var y = Outputs(rows, cols);
        Cpu.FillDiagonal(x.C, -1e9f, rows, cols, y.C); Device.FillDiagonal(x.D, -1e9f, rows, cols, y.D);
        Same(y, 0, 0, "FillDiagonal");
        Cpu.FillDiagonal(x.C, float.NegativeInfinity, rows, cols, x.C); Device.FillDiagonal(x.D, float.NegativeInfinity, rows, cols, x.D);
        Same(x, 0, 0, "FillDiagonal in place");
    }

    // ---- index -------------------------------------------------------------------------------

    [TestCase(45)]
    [TestCase(1)]
    public void GatherAndScatterAddWithRepeats(int cols)
    {
        int tableRows = 11, count = 29;
        var table = Pair(23, [tableRows, cols]);
        var idx = IntPair(Enumerable.Range(0, count).Select(i => i * 5 % tableRows).ToArray());   // every row several times
        var g = Outputs(count, cols);
        Cpu.GatherRows(table.C, idx.C, g.C, cols); Device.GatherRows(table.D, idx.D, g.D, cols);
        Same(g, 0, 0, "GatherRows");
        var acc = Pair(24, [tableRows, cols]);
        Cpu.ScatterAddRows(g.C, idx.C, acc.C, cols); Device.ScatterAddRows(g.D, idx.D, acc.D, cols);
        Same(acc, 1e-6f, 1e-6f, "ScatterAddRows (atomic order)");
    }

    [Test]
    public void BadIndicesAreRaisedAtTheNextCopyToTheHost()
    {
        var table = Tensor.FromArray(Device, TestData.Uniform(25, 12), 4, 3);
        var y = Tensor.Empty(Device, 2, 3);
        var bad = IntTensor.FromArray(Device, [1, 4]);
        Device.GatherRows(table, bad, y, 3);   // no throw here: the launch is asynchronous
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => y.ToArray())!;
        Assert.That(e.Message, Does.Contain("GatherRows: index[1] = 4 is outside [0, 4)"));
        Device.ScatterAddRows(y, IntTensor.FromArray(Device, [0, -2]), table, 3);
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Device.Synchronize())!.Message, Does.Contain("ScatterAddRows: index[1] = -2"));
        Device.PickPerRow(table, IntTensor.FromArray(Device, [0, 1, 3, 2]), Tensor.Empty(Device, 4), 4, 3);
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => table.ToArray())!.Message, Does.Contain("PickPerRow: index[2] = 3 is outside [0, 3)"));
        Assert.That(table.ToArray(), Has.Length.EqualTo(12), "the record is cleared once raised");
    }

    // ---- contrastive ---------------------------------------------------------------------------

    [TestCase(true, 37, 37)]
    [TestCase(false, 9, 70)]
    public void InfoNceRowsAndBackward(bool excludeSelf, int rows, int cols)
    {
        var s = Pair(50, [rows, cols]);
        var p = IntPair(Enumerable.Range(0, rows).Select(r => (r * 7 + 3) % cols == r && excludeSelf ? (r + 1) % cols : (r * 7 + 3) % cols).ToArray());
        var loss = Outputs(rows);
        var lse = Outputs(rows);
        Cpu.InfoNceRows(s.C, p.C, 0.1f, excludeSelf, rows, cols, loss.C, lse.C); Device.InfoNceRows(s.D, p.D, 0.1f, excludeSelf, rows, cols, loss.D, lse.D);
        Same(loss, 1e-5f, 1e-5f, "InfoNceRows loss (online vs two-pass log-sum-exp)");
        Same(lse, 1e-5f, 1e-5f, "InfoNceRows logSumExp");
        var g = Pair(51, [rows]);
        var ds = Outputs(rows, cols);
        Cpu.InfoNceRowsBackward(s.C, p.C, lse.C, g.C, 0.1f, excludeSelf, rows, cols, ds.C);
        Device.InfoNceRowsBackward(s.D, p.D, lse.D, g.D, 0.1f, excludeSelf, rows, cols, ds.D);
        Same(ds, 1e-5f, 1e-5f, "InfoNceRowsBackward (atol 1e-6/τ)");
    }

    [Test]
    public void NceRowsAndBackward()
    {
        int rows = 11, cols = 40;
        var s = Pair(52, [rows, cols], -14f, 14f);
        var loss = Outputs(rows);
        (Tensor C, Tensor D) z = (Tensor.FromArray(Cpu, [5e3f], 1), Tensor.FromArray(Device, [5e3f], 1));   // Z read on the device
        Cpu.NceRows(s.C, z.C, 50_000, rows, cols, loss.C); Device.NceRows(s.D, z.D, 50_000, rows, cols, loss.D);
        Same(loss, 1e-5f, 1e-5f, "NceRows (lane-strided sum)");
        var g = Pair(53, [rows]);
        var ds = Outputs(rows, cols);
        Cpu.NceRowsBackward(s.C, g.C, z.C, 50_000, rows, cols, ds.C); Device.NceRowsBackward(s.D, g.D, z.D, 50_000, rows, cols, ds.D);
        Same(ds, 1e-7f, 1e-5f, "NceRowsBackward");
    }

    [TestCase(37, 37, 5)]
    [TestCase(9, 70, 40)]
    public void SupConRowsAndBackward(int rows, int cols, int classes)
    {
        var s = Pair(55, [rows, cols]);
        var y = IntPair(Enumerable.Range(0, cols).Select(j => j * 7 % classes).ToArray());
        var loss = Outputs(rows);
        var lse = Outputs(rows);
        var count = (C: IntTensor.Empty(Cpu, rows), D: IntTensor.Empty(Device, rows));
        Cpu.SupConRows(s.C, y.C, 0.1f, rows, cols, loss.C, lse.C, count.C); Device.SupConRows(s.D, y.D, 0.1f, rows, cols, loss.D, lse.D, count.D);
        Assert.That(count.D.ToArray(), Is.EqualTo(count.C.ToArray()), "SupConRows positive counts");
        Same(loss, 1e-5f, 1e-5f, "SupConRows loss (online vs two-pass log-sum-exp)");
        Same(lse, 1e-5f, 1e-5f, "SupConRows logSumExp");
        var g = Pair(56, [rows]);
        var ds = Outputs(rows, cols);
        Cpu.SupConRowsBackward(s.C, y.C, lse.C, count.C, g.C, 0.1f, rows, cols, ds.C);
        Device.SupConRowsBackward(s.D, y.D, lse.D, count.D, g.D, 0.1f, rows, cols, ds.D);
        Same(ds, 1e-5f, 1e-5f, "SupConRowsBackward (atol 1e-6/τ)");
    }

    [Test]
    public void BadPositivesAreRaisedAtTheNextCopyToTheHost()
    {
        var s = Tensor.FromArray(Device, TestData.Uniform(54, 9), 3, 3);
        var loss = Tensor.Empty(Device, 3);
        var lse = Tensor.Empty(Device, 3);
        Device.InfoNceRows(s, IntTensor.FromArray(Device, [1, 2, 2]), 0.5f, true, 3, 3, loss, lse);
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => loss.ToArray())!.Message, Does.Contain("InfoNceRows: index[2] = 2 is the excluded self column"));
        Device.InfoNceRowsBackward(s, IntTensor.FromArray(Device, [3, 2, 0]), lse, loss, 0.5f, false, 3, 3, s);
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => s.ToArray())!.Message, Does.Contain("InfoNceRowsBackward: index[0] = 3 is outside [0, 3)"));
    }

    // ---- sinkhorn ------------------------------------------------------------------------------

    [TestCase(37, 45, 3)]
    [TestCase(300, 7, 2)]   // slabs of 2 rows
    [TestCase(1, 5, 3)]
    public void SinkhornCodes(int rows, int cols, int iterations)
    {
        var s = Pair(55, [rows, cols]);
        var codes = Outputs(rows, cols);
        Cpu.SinkhornCodes(s.C, codes.C, rows, cols, 0.05f, iterations); Device.SinkhornCodes(s.D, codes.D, rows, cols, 0.05f, iterations);
        Same(codes, 1e-9f, 2e-5f, "SinkhornCodes (float exponents |t'| ≤ 40 vs the cpu's double)");
        Same(s, 0, 0, "the scores are not modified");
    }

    // ---- norm --------------------------------------------------------------------------------

    [TestCase(37, 45)]
    [TestCase(3, 1)]
    public void L2NormalizeRowsAndBackward(int rows, int cols)
    {
        var data = TestData.Uniform(26, rows * cols, -3, 3);
        for (int c = 0; c < cols; c++) data[c] = 0f;   // row 0 is zero: its norm is clamped to eps
        (Tensor C, Tensor D) x = (Tensor.FromArray(Cpu, data, rows, cols), Tensor.FromArray(Device, data, rows, cols));
        var y = Outputs(rows, cols);
        var norms = Outputs(rows);
        Cpu.L2NormalizeRows(x.C, y.C, norms.C, rows, cols, 1e-12f); Device.L2NormalizeRows(x.D, y.D, norms.D, rows, cols, 1e-12f);
        Same(y, 1e-6f, 1e-5f, "L2NormalizeRows");
        Same(norms, 1e-6f, 1e-5f, "norms");
        var dy = Pair(27, [rows, cols]);
        var dx = Outputs(rows, cols);
        Cpu.L2NormalizeRowsBackward(y.C, norms.C, dy.C, dx.C, rows, cols); Device.L2NormalizeRowsBackward(y.D, norms.D, dy.D, dx.D, rows, cols);
        Same(dx, 1e-6f, 1e-5f, "L2NormalizeRowsBackward");
    }

    // ---- optimisers (three steps, so the state carries over) -----------------------------------

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(true, true)]
    public void SgdPlainMomentumNesterov(bool momentum, bool nesterov)
    {
        int n = 517;
        var p = Pair(28, [n]);
        var g = Pair(29, [n]);
        (Tensor? C, Tensor? D) buf = momentum ? (Tensor.Zeros(Cpu, n), Tensor.Zeros(Device, n)) : default;
        for (int step = 0; step < 3; step++)
        {
            Cpu.SgdUpdate(p.C, g.C, buf.C, 0.1f, 0.9f, 1e-2f, nesterov);
            Device.SgdUpdate(p.D, g.D, buf.D, 0.1f, 0.9f, 1e-2f, nesterov);
        }
        Same(p, 1e-6f, 1e-5f, "param");
        if (momentum) Same((buf.C!, buf.D!), 1e-6f, 1e-5f, "momentum buffer");
        Same(g, 0, 0, "the gradient is not modified");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void AdamL2AndDecoupled(bool decoupled)
    {
        int n = 517;
        var p = Pair(30, [n]);
        var g = Pair(31, [n]);
        var m = (Tensor.Zeros(Cpu, n), Tensor.Zeros(Device, n));
        var v = (Tensor.Zeros(Cpu, n), Tensor.Zeros(Device, n));
        for (long step = 1; step <= 3; step++)
        {
            Cpu.AdamUpdate(p.C, g.C, m.Item1, v.Item1, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.05f, decoupled, step);
            Device.AdamUpdate(p.D, g.D, m.Item2, v.Item2, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.05f, decoupled, step);
        }
        Same(p, 1e-6f, 1e-5f, "param");
        Same(m, 1e-6f, 1e-5f, "exp_avg");
        Same(v, 1e-7f, 1e-5f, "exp_avg_sq");
        Assert.Throws<ArgumentOutOfRangeException>(() => Device.AdamUpdate(p.D, g.D, m.Item2, v.Item2, 1e-2f, 0.9f, 0.999f, 1e-8f, 0f, decoupled, 0));
    }

    // ---- multi-tensor optimiser updates: one launch for several tensors of odd sizes (one spans several
    // chunks, one is a single element); bit-identical on the device to its per-tensor kernels, and the
    // cpu reference within the per-tensor tolerance. Three steps, so the state carries over. ----

    private static readonly int[] MultiSizes = [517, 1, 4097, 9001, 33];

    /// <summary>Parameters of <see cref="MultiSizes"/> with gradients on <paramref name="backend"/>, from fixed seeds.</summary>
    private static Tensor[] MultiParams(IBackend backend, int seed, int[]? sizes = null)
    {
        sizes ??= MultiSizes;
        var ps = new Tensor[sizes.Length];
        for (int i = 0; i < ps.Length; i++)
        {
            ps[i] = Tensor.FromArray(backend, TestData.Uniform(seed + 2 * i, sizes[i], -1f, 1f), [sizes[i]]);
            ps[i].Grad = Tensor.FromArray(backend, TestData.Uniform(seed + 2 * i + 1, sizes[i], -1f, 1f), [sizes[i]]);
        }
        return ps;
    }

    /// <summary>LARS: one tensor needs the norm pass's full 128 blocks (grid-stride), one a single block; the excluded ones are small (rank-1 biases).</summary>
    private static readonly int[] LarsSizes = [517, 1, 4097, 40000, 33];
    private static readonly bool[] LarsAdapt = [true, false, true, true, false];

    [TestCase(false)]
    [TestCase(true)]
    public void LarsMultiUpdateEqualsPerTensor(bool nesterov)
    {
        Tensor[] pc = MultiParams(Cpu, 70, LarsSizes), pm = MultiParams(Device, 70, LarsSizes), pt = MultiParams(Device, 70, LarsSizes);
        Tensor?[] vc = ZerosLike(pc, true), vm = ZerosLike(pm, true), vt = ZerosLike(pt, true);
        using var setC = new MultiTensorSet(pc, vc, adapt: LarsAdapt);
        using var setM = new MultiTensorSet(pm, vm, adapt: LarsAdapt);
        for (int step = 0; step < 3; step++)
        {
            Cpu.LarsMultiUpdate(setC, 0.3f, 0.9f, 1e-4f, 1e-3f, nesterov);
            Device.LarsMultiUpdate(setM, 0.3f, 0.9f, 1e-4f, 1e-3f, nesterov);
            for (int i = 0; i < pt.Length; i++)
                Device.LarsUpdate(pt[i], pt[i].Grad!, vt[i]!, 0.3f, 0.9f, LarsAdapt[i] ? 1e-4f : 0f, 1e-3f, LarsAdapt[i], nesterov);
        }
        Bitwise(pt, pm, "param");
        Bitwise(vt, vm, "velocity");
        SameAll(pc, pm, 1e-6f, 1e-5f, "param vs cpu");
        SameAll(vc, vm, 1e-6f, 1e-5f, "velocity vs cpu");
    }

    private static Tensor?[] ZerosLike(Tensor[] ps, bool make) => ps.Select(p => make ? p.ZerosLike() : null).ToArray();

    private static void Bitwise(Tensor?[] a, Tensor?[] b, string what)
    {
        for (int i = 0; i < a.Length; i++)
            if (a[i] is not null) Assert.That(b[i]!.ToArray(), Is.EqualTo(a[i]!.ToArray()), $"{what}[{i}] bit for bit");
    }

    private static void SameAll(Tensor?[] cpu, Tensor?[] device, float atol, float rtol, string what)
    {
        for (int i = 0; i < cpu.Length; i++)
            if (cpu[i] is not null) Close.Assert(cpu[i]!.ToArray(), device[i]!.ToArray(), atol, rtol, $"{what}[{i}]");
    }

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(true, true)]
    public void SgdMultiUpdateEqualsPerTensor(bool momentum, bool nesterov)
    {
        Tensor[] pc = MultiParams(Cpu, 40), pm = MultiParams(Device, 40), pt = MultiParams(Device, 40);
        Tensor?[] bc = ZerosLike(pc, momentum), bm = ZerosLike(pm, momentum), bt = ZerosLike(pt, momentum);
        using var setC = new MultiTensorSet(pc, bc);
        using var setM = new MultiTensorSet(pm, bm);
        for (int step = 0; step < 3; step++)
        {
            Cpu.SgdMultiUpdate(setC, 0.1f, 0.9f, 1e-2f, nesterov);
            Device.SgdMultiUpdate(setM, 0.1f, 0.9f, 1e-2f, nesterov);
            for (int i = 0; i < pt.Length; i++) Device.SgdUpdate(pt[i], pt[i].Grad!, bt[i], 0.1f, 0.9f, 1e-2f, nesterov);
        }
        Bitwise(pt, pm, "param");
        Bitwise(bt, bm, "momentum buffer");
        Bitwise(pt.Select(p => p.Grad).ToArray(), pm.Select(p => p.Grad).ToArray(), "the gradient is not modified");
        SameAll(pc, pm, 1e-6f, 1e-5f, "param vs cpu");
        SameAll(bc, bm, 1e-6f, 1e-5f, "momentum buffer vs cpu");
    }

    [Test]
    public void EmaMultiUpdateEqualsPerTensor()
    {
        Tensor[] ac = MultiParams(Cpu, 60), am = MultiParams(Device, 60), at = MultiParams(Device, 60);
        Tensor[] xc = MultiParams(Cpu, 61), xm = MultiParams(Device, 61);
        Tensor?[] sc = xc, sm = xm;
        using var setC = new MultiTensorSet(ac, sc);
        using var setM = new MultiTensorSet(am, sm);
        foreach (float d in new[] { 0f, 0.5f, 0.999f })
        {
            Cpu.EmaMultiUpdate(setC, d);
            Device.EmaMultiUpdate(setM, d);
            for (int i = 0; i < at.Length; i++) Device.EmaUpdate(at[i], xm[i], d);
        }
        Bitwise(at, am, "average");
        SameAll(ac, am, 1e-6f, 1e-5f, "average vs cpu");
        Assert.Throws<ArgumentException>(() => Device.EmaMultiUpdate(new MultiTensorSet(am), 0.5f), "an average needs its source");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void AdamMultiUpdateEqualsPerTensor(bool decoupled)
    {
        Tensor[] pc = MultiParams(Cpu, 50), pm = MultiParams(Device, 50), pt = MultiParams(Device, 50);
        Tensor?[] mc = ZerosLike(pc, true), mm = ZerosLike(pm, true), mt = ZerosLike(pt, true);
        Tensor?[] vc = ZerosLike(pc, true), vm = ZerosLike(pm, true), vt = ZerosLike(pt, true);
        using var setC = new MultiTensorSet(pc, mc, vc);
        using var setM = new MultiTensorSet(pm, mm, vm);
        for (long step = 1; step <= 3; step++)
        {
            Cpu.AdamMultiUpdate(setC, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.05f, decoupled, step);
            Device.AdamMultiUpdate(setM, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.05f, decoupled, step);
            for (int i = 0; i < pt.Length; i++) Device.AdamUpdate(pt[i], pt[i].Grad!, mt[i]!, vt[i]!, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.05f, decoupled, step);
        }
        Bitwise(pt, pm, "param");
        Bitwise(mt, mm, "exp_avg");
        Bitwise(vt, vm, "exp_avg_sq");
        SameAll(pc, pm, 1e-6f, 1e-5f, "param vs cpu");
        SameAll(mc, mm, 1e-6f, 1e-5f, "exp_avg vs cpu");
        SameAll(vc, vm, 1e-7f, 1e-5f, "exp_avg_sq vs cpu");
        Assert.Throws<ArgumentOutOfRangeException>(() => Device.AdamMultiUpdate(setM, 1e-2f, 0.9f, 0.999f, 1e-8f, 0f, decoupled, 0));
    }

    /// <summary>
    /// The optimisers' multi-tensor path with a frozen parameter (SwAV's prototypes): the frozen tensor and
    /// its state are untouched, the others equal the per-tensor kernels bit for bit; once unfrozen, Adam runs
    /// one launch per distinct update count and still matches.
    /// </summary>
    [TestCase("sgd")]
    [TestCase("nesterov")]
    [TestCase("adam")]
    [TestCase("adamw")]
    [TestCase("lars")]
    public void OptimizerMultiTensorStepWithAFrozenParameter(string kind)
    {
        Tensor[] pm = MultiParams(Device, 60, LarsSizes), pt = MultiParams(Device, 60, LarsSizes);
        var named = pm.Select((p, i) => ($"p{i}", p)).ToArray();
        using Engine.Optim.Optimizer opt = kind switch
        {
            "sgd" => new Engine.Optim.Sgd(named, momentum: 0.9f, weightDecay: 1e-2f),
            "nesterov" => new Engine.Optim.Sgd(named, momentum: 0.9f, weightDecay: 1e-2f, nesterov: true),
            "adam" => new Engine.Optim.Adam(named, weightDecay: 0.05f),
            "lars" => new Engine.Optim.Lars(named, momentum: 0.9f, weightDecay: 1e-4f, exclude: (_, t) => t.Length < 100),
            _ => new Engine.Optim.AdamW(named, weightDecay: 0.05f),
        };
        bool adam = kind.StartsWith("adam");
        Tensor?[] s1 = ZerosLike(pt, true), s2 = ZerosLike(pt, adam);
        var frozen = new HashSet<Tensor> { pm[2] };
        float[] before = pm[2].ToArray();
        long[] updates = new long[pt.Length];
        for (int step = 0; step < 4; step++)
        {
            bool freeze = step < 2;
            opt.Step(0.05f, freeze ? frozen : new HashSet<Tensor>());
            for (int i = 0; i < pt.Length; i++)
            {
                if (freeze && i == 2) continue;
                updates[i]++;
                if (adam) Device.AdamUpdate(pt[i], pt[i].Grad!, s1[i]!, s2[i]!, 0.05f, 0.9f, 0.999f, 1e-8f, 0.05f, kind == "adamw", updates[i]);
                else if (kind == "lars") Device.LarsUpdate(pt[i], pt[i].Grad!, s1[i]!, 0.05f, 0.9f, LarsAdapt[i] ? 1e-4f : 0f, 1e-3f, LarsAdapt[i], false);
                else Device.SgdUpdate(pt[i], pt[i].Grad!, s1[i], 0.05f, 0.9f, 1e-2f, kind == "nesterov");
            }
            if (step == 1)
            {
                Assert.That(pm[2].ToArray(), Is.EqualTo(before), "frozen parameter untouched");
                foreach (var (name, t) in opt.State().Where(s => s.Name.EndsWith(".p2")))
                    Assert.That(t.ToArray(), Is.All.EqualTo(0f), $"frozen parameter's {name} untouched");
            }
        }
        Bitwise(pt, pm, "param");
        var state = opt.State().ToDictionary(s => s.Name, s => s.Tensor);
        string first = adam ? "exp_avg" : "momentum";
        Bitwise(s1, pm.Select((_, i) => (Tensor?)state[$"{first}.p{i}"]).ToArray(), first);
        if (adam) Bitwise(s2, pm.Select((_, i) => (Tensor?)state[$"exp_avg_sq.p{i}"]).ToArray(), "exp_avg_sq");
    }

    [Test]
    public void EmaUpdateOfWeights()
    {
        int n = 517;
        var a = Pair(32, [n]);
        var x = Pair(33, [n]);
        foreach (float decay in new[] { 0.999f, 0.5f })
        {
            Cpu.EmaUpdate(a.C, x.C, decay);
            Device.EmaUpdate(a.D, x.D, decay);
        }
        Same(a, 1e-6f, 1e-5f, "average");
        Same(x, 0, 0, "the source is not modified");
        Cpu.EmaUpdate(a.C, x.C, 0f);
        Device.EmaUpdate(a.D, x.D, 0f);
        Same(a, 0, 0, "decay 0 copies");
        Assert.That(a.C.ToArray(), Is.EqualTo(x.C.ToArray()), "decay 0 copies the source exactly");
    }

    // ---- families wired from their own kernel files (conv, batch norm, pool, kNN, bank, LARS) ----
    // The kernels themselves are tested in depth in tests/…/Kernels; these check the wiring
    // through DeviceBackend (argument order, geometry mapping, scratch memory, error records).

    [TestCase(1, 1, 0)]
    [TestCase(2, 3, 1)]
    public void Conv2dForwardAndBothBackwards(int stride, int kernel, int pad)
    {
        var g = new Conv2dGeometry(3, 5, 9, 7, 6, kernel, kernel, stride, stride, pad, pad);
        var x = Pair(40, [g.N, g.C, g.H, g.W]);
        var w = Pair(41, [g.K, g.C, g.R, g.S]);
        var b = Pair(42, [g.K]);
        var y = Outputs(g.N, g.K, g.P, g.Q);
        Cpu.Conv2dForward(x.C, w.C, b.C, y.C, g); Device.Conv2dForward(x.D, w.D, b.D, y.D, g);
        Same(y, 1e-5f, 1e-4f, "Conv2dForward");
        var dy = Pair(43, [g.N, g.K, g.P, g.Q]);
        var dx = Outputs(g.N, g.C, g.H, g.W);
        Cpu.Conv2dBackwardData(dy.C, w.C, dx.C, g); Device.Conv2dBackwardData(dy.D, w.D, dx.D, g);
        Same(dx, 1e-5f, 1e-4f, "Conv2dBackwardData");
        var dw = Outputs(g.K, g.C, g.R, g.S);
        var db = Outputs(g.K);
        Cpu.Conv2dBackwardWeight(x.C, dy.C, dw.C, db.C, g); Device.Conv2dBackwardWeight(x.D, dy.D, dw.D, db.D, g);
        Same(dw, 1e-5f, 1e-4f, "Conv2dBackwardWeight");
        Same(db, 1e-5f, 1e-4f, "Conv2dBackwardWeight bias");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void BatchNormTrainingInferenceAndBackward(bool relu)
    {
        int n = 4, c = 3, hw = 5;
        var x = Pair(44, [n, c, hw], -2f, 2f);
        var gamma = Pair(45, [c], 0.5f, 1.5f);
        var beta = Pair(46, [c]);
        var y = Outputs(n, c, hw);
        var mean = Outputs(c);
        var inv = Outputs(c);
        var runMean = Pair(47, [c]);
        var runVar = Pair(48, [c], 0.5f, 2f);
        Cpu.BatchNormForwardTraining(x.C, gamma.C, beta.C, y.C, mean.C, inv.C, runMean.C, runVar.C, n, c, hw, 0.1f, 1e-5f, relu);
        Device.BatchNormForwardTraining(x.D, gamma.D, beta.D, y.D, mean.D, inv.D, runMean.D, runVar.D, n, c, hw, 0.1f, 1e-5f, relu);
        Same(y, 1e-5f, 1e-4f, "y");
        Same(mean, 1e-6f, 1e-5f, "saveMean");
        Same(inv, 1e-5f, 1e-4f, "saveInvStd");
        Same(runMean, 1e-6f, 1e-5f, "runningMean");
        Same(runVar, 1e-6f, 1e-5f, "runningVar");
        var dy = Pair(49, [n, c, hw]);
        var dx = Outputs(n, c, hw);
        var dg = Outputs(c);
        var dbeta = Outputs(c);
        Cpu.BatchNormBackward(x.C, dy.C, relu ? y.C : null, gamma.C, mean.C, inv.C, dx.C, dg.C, dbeta.C, n, c, hw);
        Device.BatchNormBackward(x.D, dy.D, relu ? y.D : null, gamma.D, mean.D, inv.D, dx.D, dg.D, dbeta.D, n, c, hw);
        Same(dx, 1e-5f, 1e-4f, "dx");
        Same(dg, 1e-5f, 1e-4f, "dgamma");
        Same(dbeta, 1e-5f, 1e-4f, "dbeta");
        var yi = Outputs(n, c, hw);
        Cpu.BatchNormForwardInference(x.C, gamma.C, beta.C, yi.C, runMean.C, runVar.C, n, c, hw, 1e-5f, relu);
        Device.BatchNormForwardInference(x.D, gamma.D, beta.D, yi.D, runMean.D, runVar.D, n, c, hw, 1e-5f, relu);
        Same(yi, 1e-5f, 1e-4f, "inference y");
    }

    [Test]
    public void MaxPoolAndGlobalAveragePool()
    {
        var g = new Pool2dGeometry(2, 3, 9, 7, 3, 2, 1);
        var x = Pair(50, [g.N, g.C, g.H, g.W]);
        var y = Outputs(g.N, g.C, g.P, g.Q);
        var arg = (IntTensor.Empty(Cpu, g.N, g.C, g.P, g.Q), IntTensor.Empty(Device, g.N, g.C, g.P, g.Q));
        Cpu.MaxPool2dForward(x.C, y.C, arg.Item1, g); Device.MaxPool2dForward(x.D, y.D, arg.Item2, g);
        Same(y, 0, 0, "MaxPool2dForward");
        Assert.That(arg.Item2.ToArray(), Is.EqualTo(arg.Item1.ToArray()), "argmax");
        var dy = Pair(51, [g.N, g.C, g.P, g.Q]);
        var dx = Outputs(g.N, g.C, g.H, g.W);
        Cpu.MaxPool2dBackward(dy.C, arg.Item1, dx.C, g); Device.MaxPool2dBackward(dy.D, arg.Item2, dx.D, g);
        Same(dx, 0, 0, "MaxPool2dBackward");
        var gap = Outputs(g.N, g.C);
        Cpu.GlobalAvgPoolForward(x.C, gap.C, g.N, g.C, g.H * g.W); Device.GlobalAvgPoolForward(x.D, gap.D, g.N, g.C, g.H * g.W);
        Same(gap, 1e-6f, 1e-5f, "GlobalAvgPoolForward");
        var gdx = Outputs(g.N, g.C, g.H, g.W);
        Cpu.GlobalAvgPoolBackward(gap.C, gdx.C, g.N, g.C, g.H * g.W); Device.GlobalAvgPoolBackward(gap.D, gdx.D, g.N, g.C, g.H * g.W);
        Same(gdx, 1e-7f, 1e-6f, "GlobalAvgPoolBackward");
    }

    [Test]
    public void TopKWithTiesAndWeightedVote()
    {
        var scores = (Tensor.FromArray(Cpu, [1, 5, 3, 5, 0, -1, 2, 9, 2, 2], 2, 5), Tensor.FromArray(Device, [1, 5, 3, 5, 0, -1, 2, 9, 2, 2], 2, 5));
        var values = Outputs(2, 3);
        var idx = (IntTensor.Empty(Cpu, 2, 3), IntTensor.Empty(Device, 2, 3));
        Cpu.TopKRows(scores.Item1, 2, 5, 3, values.C, idx.Item1); Device.TopKRows(scores.Item2, 2, 5, 3, values.D, idx.Item2);
        Same(values, 0, 0, "TopKRows values");
        Assert.That(idx.Item2.ToArray(), Is.EqualTo(idx.Item1.ToArray()), "TopKRows indices (ties: lower column first)");
        var labels = IntPair([2, 0, 1, 2, 1]);
        var votes = Outputs(2, 3);
        Cpu.KnnVote(values.C, idx.Item1, labels.C, 2, 3, 3, 0.1f, votes.C); Device.KnnVote(values.D, idx.Item2, labels.D, 2, 3, 3, 0.1f, votes.D);
        Same(votes, 1e-6f, 1e-5f, "KnnVote");
    }

    [Test]
    public void ArgMaxAndArgMinRows()
    {
        // 9 rows of 37: ties (the first column wins), a NaN row, a row starting with NaN, ±0.
        var data = TestData.Uniform(60, 9 * 37, -1f, 1f).Select(v => MathF.Round(v * 4f) / 4f).ToArray();
        for (int c = 0; c < 37; c++) data[2 * 37 + c] = float.NaN;
        data[3 * 37] = float.NaN;
        data[4 * 37] = -0f; data[4 * 37 + 5] = 0f;
        var x = (Tensor.FromArray(Cpu, data, 9, 37), Tensor.FromArray(Device, data, 9, 37));
        foreach (bool max in new[] { true, false })
        {
            var v = Outputs(9);
            var i = (IntTensor.Empty(Cpu, 9), IntTensor.Empty(Device, 9));
            if (max) { Cpu.ArgMaxRows(x.Item1, 9, 37, v.C, i.Item1); Device.ArgMaxRows(x.Item2, 9, 37, v.D, i.Item2); }
            else { Cpu.ArgMinRows(x.Item1, 9, 37, v.C, i.Item1); Device.ArgMinRows(x.Item2, 9, 37, v.D, i.Item2); }
            string what = max ? "ArgMaxRows" : "ArgMinRows";
            Assert.That(i.Item2.ToArray(), Is.EqualTo(i.Item1.ToArray()), what + " indices");
            Assert.That(v.D.ToArray().Select(BitConverter.SingleToInt32Bits), Is.EqualTo(v.C.ToArray().Select(BitConverter.SingleToInt32Bits)), what + " values, bit for bit");
        }
    }

    [Test]
    public void MomentumUpdateRowsInPlaceWithDuplicates()
    {
        int c = 3;
        var bank = Pair(52, [6, c]);
        var idx = IntPair([4, 1, 4]);
        var f = Pair(53, [3, c]);
        Cpu.MomentumUpdateRows(bank.C, idx.C, f.C, 0.5f, c); Device.MomentumUpdateRows(bank.D, idx.D, f.D, 0.5f, c);
        Same(bank, 1e-6f, 1e-5f, "bank (norm summed in another order)");
    }

    [TestCase(true, false)]
    [TestCase(true, true)]
    [TestCase(false, false)]
    public void LarsAdaptedNesterovAndExcluded(bool adapt, bool nesterov)
    {
        int n = 517;
        var p = Pair(54, [n]);
        var g = Pair(55, [n]);
        var v = (Tensor.Zeros(Cpu, n), Tensor.Zeros(Device, n));
        for (int step = 0; step < 3; step++)
        {
            Cpu.LarsUpdate(p.C, g.C, v.Item1, 0.3f, 0.9f, 1e-4f, 1e-3f, adapt, nesterov);
            Device.LarsUpdate(p.D, g.D, v.Item2, 0.3f, 0.9f, 1e-4f, 1e-3f, adapt, nesterov);
        }
        Same(p, 1e-6f, 1e-5f, "param");
        Same(v, 1e-6f, 1e-5f, "velocity");
    }
}
