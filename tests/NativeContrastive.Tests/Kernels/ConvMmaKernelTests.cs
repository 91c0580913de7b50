using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Emu;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Interop;
using NativeContrastive.Kernels.Launch;
using NativeContrastive.Kernels.Profile;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// conv_mma.cu (tensor-core implicit GEMM) on the emulator against a float64 convolution of the
/// operands rounded as <see cref="PrecisionRounding"/> rounds them, and against the cpu backend at
/// the same <see cref="Precision"/>. Both sides multiply the same rounded operands (products exact
/// in fp32), so only the fp32 accumulation order differs: per element the bound is
/// n·2⁻²³·Σ|a·b| with n the products in the sum (the classical (n−1)·u bound, u = 2⁻²⁴, doubled).
/// A kernel that failed to round its operands would be off by ~2⁻¹¹·Σ|a·b| (tf32) or 2⁻⁸ (bf16),
/// far above it for these n. Geometries: first layer C = 1 / 3, 7×7 stride 2 pad 3, 1×1 stride 2
/// with odd C, 3×3 stride 2 with odd H, W and K = 70 (two row tiles), a 2×3 kernel with unequal
/// strides and pads, a 5×3 kernel at stride 3 (nine backward-data stride phases of two or one
/// taps per axis; the 1×1 stride 2 has phases with no tap), C = 32 and K = 48 (channel counts of
/// whole 16-deep slices: no padding in the tap-major reductions, two or three slices per tap) with
/// P·Q = 32 (backward weight copies dy's rows whole, two slices per image; so does the 1×1 case,
/// P·Q = 16, one); the others pad their channels to 16; together their R·S and P·Q make backward
/// weight's division-free index walk carry at every digit; N = 16 and 32 with P·Q = 25 and 9 (off the
/// row copy's shapes) run backward weight image-major, one or two slices per output pixel, rows
/// beyond K and windows in the padding included; each op also with its reduction split
/// (partial sums + ordered reduce; backward data's stride phases in one launch, slots whole dx tensors).
/// </summary>
public class ConvMmaKernelTests(EmuOrder order) : EmuKernelTest(order)
{
    private static CpuBackend Cpu => CpuBackend.Instance;

    public static IEnumerable<TestCaseData> Cases()
    {
        (ConvShape g, string name)[] geometries =
        [
            (new ConvShape(2, 3, 9, 9, 8, 3, 3, 1, 1, 1, 1), "C=3 3x3 s1 p1"),
            (new ConvShape(1, 1, 11, 11, 5, 7, 7, 2, 2, 3, 3), "C=1 7x7 s2 p3"),
            (new ConvShape(2, 113, 7, 7, 9, 1, 1, 2, 2, 0, 0), "1x1 s2 odd C=113 (backward data rows past 96)"),
            (new ConvShape(1, 19, 7, 9, 100, 3, 3, 2, 2, 1, 1), "3x3 s2 p1 odd HW K=100 (forward rows past 96)"),
            (new ConvShape(2, 5, 6, 7, 4, 2, 3, 1, 2, 0, 1), "2x3 s1/2 p0/1"),
            (new ConvShape(2, 6, 13, 11, 5, 5, 3, 3, 3, 2, 1), "5x3 s3 p2/1"),
            (new ConvShape(2, 32, 8, 4, 48, 3, 3, 1, 1, 1, 1), "C=32 K=48 3x3 P·Q=32 (whole slices)"),
            (new ConvShape(16, 5, 5, 5, 12, 3, 3, 1, 1, 1, 1), "N=16 5x5 P·Q=25 (image-major backward weight)"),
            (new ConvShape(32, 8, 6, 6, 24, 3, 3, 2, 2, 1, 1), "N=32 3x3 s2 P·Q=9 Q=3 (image-major, two slices per pixel)"),
        ];
        foreach (var p in new[] { Precision.Tf32, Precision.Bf16 })
            foreach (int rows in new[] { ConvMmaKernels.ShortTileRows, ConvMmaKernels.TallTileRows })
                foreach (var (g, name) in geometries)
                    yield return new TestCaseData(g, p, rows).SetName($"{{m}}({p.ToString().ToLowerInvariant()}, {rows}-row tiles, {name})");
    }

    private static Conv2dGeometry Cpu2d(ConvShape g) => new(g.N, g.C, g.H, g.W, g.K, g.R, g.S, g.StrideH, g.StrideW, g.PadH, g.PadW);

    private static Tensor T(float[] v) => Tensor.FromArray(Cpu, v, v.Length);

    /// <summary>Float64 sums of products of rounded operands, with Σ|a·b| and the number of products, per output element.</summary>
    internal sealed class Reference(long length)
    {
        public readonly double[] Sum = new double[length], Abs = new double[length];
        public readonly long[] Terms = new long[length];

        public void Add(long i, float a, float b, Precision p)
        {
            double t = (double)PrecisionRounding.Round(a, p) * PrecisionRounding.Round(b, p);
            Sum[i] += t; Abs[i] += Math.Abs(t); Terms[i]++;
        }

        public void AssertClose(float[] actual, string what, float[]? bias = null, int biasStride = 1, int biasCount = 1)
        {
            Assert.That(actual.Length, Is.GreaterThanOrEqualTo(Sum.Length), $"{what}: length");
            for (long i = 0; i < Sum.Length; i++)
            {
                double e = Sum[i], mag = Abs[i];
                if (bias is not null) { double b = bias[i / biasStride % biasCount]; e += b; mag += Math.Abs(b); }
                double tol = Math.Max(Terms[i] + 1, 2) * Math.Pow(2, -23) * mag + 1e-30;
                if (!(Math.Abs(actual[i] - e) <= tol))
                    Assert.Fail($"{what}: element {i}: expected {e:R} ± {tol:G3}, got {actual[i]:R}");
            }
        }
    }

    /// <summary>Σ_{(n,k,p,q),(c,r,s)} visited once per valid tap: f(x index, w index, y index).</summary>
    internal static void ForEachTap(ConvShape g, Action<long, long, long> f)
    {
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
                for (int p = 0; p < g.P; p++)
                    for (int q = 0; q < g.Q; q++)
                        for (int c = 0; c < g.C; c++)
                            for (int r = 0; r < g.R; r++)
                                for (int s = 0; s < g.S; s++)
                                {
                                    int h = p * g.StrideH - g.PadH + r, w = q * g.StrideW - g.PadW + s;
                                    if (h < 0 || h >= g.H || w < 0 || w >= g.W) continue;
                                    f(((long)(n * g.C + c) * g.H + h) * g.W + w, ((long)(k * g.C + c) * g.R + r) * g.S + s, ((long)(n * g.K + k) * g.P + p) * g.Q + q);
                                }
    }

    internal static Reference ForwardRef(ConvShape g, float[] x, float[] w, Precision p)
    {
        var re = new Reference(g.OutputLength);
        ForEachTap(g, (xi, wi, yi) => re.Add(yi, w[wi], x[xi], p));
        return re;
    }

    internal static Reference BackwardDataRef(ConvShape g, float[] dy, float[] w, Precision p)
    {
        var re = new Reference(g.InputLength);
        ForEachTap(g, (xi, wi, yi) => re.Add(xi, w[wi], dy[yi], p));
        return re;
    }

    internal static Reference BackwardWeightRef(ConvShape g, float[] x, float[] dy, Precision p)
    {
        var re = new Reference(g.WeightLength);
        ForEachTap(g, (xi, wi, yi) => re.Add(wi, dy[yi], x[xi], p));
        return re;
    }

    /// <summary>Runs the op on a cpu backend of its own at precision p (the shared instance stays fp32).</summary>
    internal static float[] CpuAt(Precision p, Action<CpuBackend> run, Func<float[]> read)
    {
        run(new CpuBackend { Precision = p });
        return read();
    }

    [TestCaseSource(nameof(Cases))]
    public void Forward(ConvShape g, Precision p, int rows)
    {
        using var k = new ConvMmaKernels(Driver);
        float[] x = Data(g.InputLength, 1, -1f, 1f), w = Data(g.WeightLength, 2, -1f, 1f), b = Data(g.K, 3, -1f, 1f);
        using var dx = Up(x);
        using var dw = Up(w);
        using var db = Up(b);
        using var dy = Up(Enumerable.Repeat(float.NaN, (int)g.OutputLength).ToArray());
        var re = ForwardRef(g, x, w, p);
        k.Conv2dForward(dx, dw, null, dy, g, p, splits: 1, rows);
        re.AssertClose(dy.ToArray<float>(), "emu y");
        k.Conv2dForward(dx, dw, db, dy, g, p, splits: 1, rows);
        re.AssertClose(dy.ToArray<float>(), "emu y + bias", b, g.P * g.Q, g.K);
        k.Conv2dForward(dx, dw, db, dy, g, p, splits: 2, rows);   // split-K: the bias goes into slot 0 only
        re.AssertClose(dy.ToArray<float>(), "emu y + bias split 2", b, g.P * g.Q, g.K);

        using var scope = TensorScope.Begin();
        var y = Tensor.Empty(Cpu, (int)g.OutputLength);
        re.AssertClose(CpuAt(p, c => c.Conv2dForward(T(x), T(w), null, y, Cpu2d(g)), y.ToArray), "cpu y");
    }

    [TestCaseSource(nameof(Cases))]
    public void BackwardData(ConvShape g, Precision p, int rows)
    {
        using var k = new ConvMmaKernels(Driver);
        float[] gy = Data(g.OutputLength, 4, -1f, 1f), w = Data(g.WeightLength, 2, -1f, 1f);
        using var dgy = Up(gy);
        using var dw = Up(w);
        using var dgx = Up(Enumerable.Repeat(float.NaN, (int)g.InputLength).ToArray());   // every element must be overwritten
        var re = BackwardDataRef(g, gy, w, p);
        k.Conv2dBackwardData(dgy, dw, dgx, g, p, splits: 1, rows);
        re.AssertClose(dgx.ToArray<float>(), "emu dx");
        k.Conv2dBackwardData(dgy, dw, dgx, g, p, splits: 2, rows);
        re.AssertClose(dgx.ToArray<float>(), "emu dx split 2");

        using var scope = TensorScope.Begin();
        var gx = Tensor.Empty(Cpu, (int)g.InputLength);
        re.AssertClose(CpuAt(p, c => c.Conv2dBackwardData(T(gy), T(w), gx, Cpu2d(g)), gx.ToArray), "cpu dx");
    }

    [TestCaseSource(nameof(Cases))]
    public void BackwardWeight(ConvShape g, Precision p, int rows)
    {
        using var k = new ConvMmaKernels(Driver);
        float[] x = Data(g.InputLength, 1, -1f, 1f), gy = Data(g.OutputLength, 4, -1f, 1f);
        using var dx = Up(x);
        using var dgy = Up(gy);
        using var dgw = Up(Enumerable.Repeat(float.NaN, (int)g.WeightLength).ToArray());
        using var dgb = Up(Enumerable.Repeat(float.NaN, g.K).ToArray());
        var re = BackwardWeightRef(g, x, gy, p);
        k.Conv2dBackwardWeight(dx, dgy, dgw, dgb, g, p, splits: 1, rows);
        var single = dgw.ToArray<float>();
        re.AssertClose(single, "emu dw");
        // dbias is the fp32 Σ dy of conv.cu's bias kernel, unrounded.
        var bias = new double[g.K];
        for (long i = 0; i < gy.Length; i++) bias[i / (g.P * g.Q) % g.K] += gy[i];
        Close.Assert(bias.Select(v => (float)v).ToArray(), dgb.ToArray<float>(), 1e-5f * g.N * g.P * g.Q, 1e-5f, "emu dbias");

        // Split-K: partial sums of 16-deep multiples then the ordered reduce; same bound, and
        // bit-identical when repeated (no atomics).
        k.Conv2dBackwardWeight(dx, dgy, dgw, null, g, p, splits: 3, rows);
        var split = dgw.ToArray<float>();
        re.AssertClose(split, "emu dw split 3");
        k.Conv2dBackwardWeight(dx, dgy, dgw, null, g, p, splits: 3, rows);
        Assert.That(dgw.ToArray<float>(), Is.EqualTo(split), "split result repeats bit for bit");

        using var scope = TensorScope.Begin();
        var gw = Tensor.Empty(Cpu, (int)g.WeightLength);
        re.AssertClose(CpuAt(p, c => c.Conv2dBackwardWeight(T(x), T(gy), gw, null, Cpu2d(g)), gw.ToArray), "cpu dw");
    }

    [TestCase(1, 64)]
    [TestCase(70, 64)]
    [TestCase(127, 64)]
    [TestCase(128, 128)]
    [TestCase(192, 64)]
    [TestCase(256, 128)]
    [TestCase(320, 64)]
    [TestCase(384, 128)]
    [TestCase(512, 128)]
    public void TallTilesWhereTheyPadNoMoreRows(long rows, int expected) => Assert.That(ConvMmaKernels.TileRowsFor(rows), Is.EqualTo(expected));

    /// <summary>
    /// The channels-last B operand against its definition: tp[(n·plane + u)·Cp + c] = round(t[n, c, u])
    /// for c &lt; C, 0 for the padding up to Cp = C rounded to 16; tf32 rounds in fp32, bf16 stores the
    /// bits, and a tensor stored in bf16 is copied as it is. C = 20: a whole group and a padded one.
    /// </summary>
    [TestCase(Precision.Tf32, false)]
    [TestCase(Precision.Bf16, false)]
    [TestCase(Precision.Bf16, true)]
    public void ChannelsLastPackingRoundsAndPadsEachPixel(Precision p, bool inBf16)
    {
        const int n = 2, c = 20, plane = 7, cp = 32;
        float[] t = Data(n * c * plane, 5);
        if (inBf16) t = Array.ConvertAll(t, PrecisionRounding.Bf16);
        using var mma = new ConvMmaKernels(Driver);
        using var dt = inBf16 ? Up(Array.ConvertAll(t, PrecisionRounding.Bf16Bits)) : Up(t);
        var tp = mma.PackChannelsLast(dt, inBf16, n, c, plane, p);
        float[] got = p == Precision.Bf16
            ? Array.ConvertAll(tp.ToArray<ushort>(), PrecisionRounding.FromBf16Bits)
            : tp.ToArray<float>();
        Assert.That(got, Has.Length.AtLeast(n * plane * cp));
        for (int i = 0; i < n; i++)
            for (int u = 0; u < plane; u++)
                for (int ch = 0; ch < cp; ch++)
                {
                    float expected = ch < c ? PrecisionRounding.Round(t[(i * c + ch) * plane + u], p) : 0f;
                    Assert.That(got[(i * plane + u) * cp + ch], Is.EqualTo(expected), $"image {i}, pixel {u}, channel {ch}");
                }
    }

    [TestCase(130, "conv2d_forward_mma_tf32_kernel")]        // 128-row tiles would pad 126 rows, 64-row ones 62
    [TestCase(256, "conv2d_forward_mma_tf32_m128_kernel")]
    public void PublicOverloadsPickTheTileByTheirRows(int k, string kernel)
    {
        var g = new ConvShape(1, 2, 4, 4, k, 1, 1, 1, 1, 0, 0);
        using var profiled = new ProfilingDriver(new EmuDriver());
        using var mma = new ConvMmaKernels(profiled);
        float[] x = Data(g.InputLength, 1), w = Data(g.WeightLength, 2);
        using var dx = DeviceBuffer.From(profiled, x);
        using var dw = DeviceBuffer.From(profiled, w);
        using var dy = DeviceBuffer.Allocate<float>(profiled, g.OutputLength);
        mma.Conv2dForward(dx, dw, null, dy, g, Precision.Tf32);
        ForwardRef(g, x, w, Precision.Tf32).AssertClose(dy.ToArray<float>(), $"K = {k}");
        Assert.That(profiled.Snapshot().Entries.Where(e => e.Name.StartsWith("conv_mma.cu:")).Select(e => e.Name),
            Is.EquivalentTo(new[] { "conv_mma.cu:conv2d_pack_weight_tf32_kernel", "conv_mma.cu:conv2d_pack_channels_last_tf32_kernel", "conv_mma.cu:" + kernel }),
            "the weight packing, x's channels-last packing and the tile kernel");
        Assert.Throws<ArgumentOutOfRangeException>(() => mma.Conv2dForward(dx, dw, null, dy, g, Precision.Tf32, 1, 96));
    }
}
