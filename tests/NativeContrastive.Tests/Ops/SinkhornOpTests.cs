using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.KernelTests;
using NativeContrastive.Tests.Support;
using NUnit.Framework;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.OpsTests;

/// <summary>
/// The cpu Sinkhorn-Knopp reference (CpuBackend.Sinkhorn) against the official SwAV algorithm
/// transcribed in double (<see cref="SinkhornReference.Official"/>), its behaviour on adversarial
/// scores, its argument checks, and the op. Tolerances: codes within 1e-6 relative of the double
/// transcription (the cpu accumulates in double and rounds each code to float once: 6e-8); each
/// sample's code sums to 1 within 1e-6 (K float roundings).
/// </summary>
public class SinkhornOpTests
{
    private static IBackend B => GradCheck.Cpu;

    private static float[] Codes(float[] scores, int rows, int cols, float epsilon, int iterations)
    {
        using var scope = TensorScope.Begin();
        var codes = Tensor.Empty(B, rows, cols);
        B.SinkhornCodes(Tensor.FromArray(B, scores, rows, cols), codes, rows, cols, epsilon, iterations);
        return codes.ToArray();
    }

    private static float[] Uniform(int seed, int n, float lo, float hi) => GradCheck.Random(seed, lo, hi, n).ToArray();

    // ---- (a) equal to the official algorithm -------------------------------------------------------

    [TestCase(1, 1, 0.05f, 3)]
    [TestCase(1, 7, 0.05f, 3)]     // B = 1: one sample, uniform code 1/K
    [TestCase(7, 1, 0.05f, 3)]     // K = 1: every code is 1
    [TestCase(2, 3, 0.5f, 1)]
    [TestCase(37, 45, 0.05f, 3)]   // B < K
    [TestCase(45, 37, 0.05f, 3)]   // B > K
    [TestCase(100, 17, 0.1f, 10)]
    [TestCase(33, 5, 1f, 2)]
    [TestCase(257, 130, 0.05f, 3)] // parallel path, last row chunk of 1
    public void MatchesTheOfficialAlgorithmInDouble(int rows, int cols, float epsilon, int iterations)
    {
        var s = Uniform(rows * 1000 + cols, rows * cols, -1f, 1f);
        var expected = SinkhornReference.Official(s, rows, cols, epsilon, iterations);
        var codes = Codes(s, rows, cols, epsilon, iterations);
        Close.Assert(expected.Select(x => (float)x).ToArray(), codes, 1e-37f, 1e-6f, $"codes {rows}×{cols}");
        SinkhornReference.AssertCodes(codes, rows, cols, 1e-6, "codes");
    }

    [Test]
    public void OneSampleGivesTheUniformCodeAndOnePrototypeGivesOnes()
    {
        Assert.That(Codes([3f, -20f, 0.5f, 7f], 1, 4, 0.05f, 3), Is.All.EqualTo(0.25f));
        Assert.That(Codes([3f, -20f, 0.5f], 3, 1, 0.05f, 3), Is.All.EqualTo(1f));
    }

    // ---- (b) adversarial scores ---------------------------------------------------------------------

    [Test]
    public void ScoresOfFiftyAtEpsilonFiveHundredthsStayFiniteWhereTheOfficialFormOverflows()
    {
        // |s/ε| up to 1000: exp overflows even in double; the log-domain codes are finite.
        const int rows = 64, cols = 16;
        var s = Uniform(11, rows * cols, -50f, 50f);
        Assert.That(SinkhornReference.Official(s, rows, cols, 0.05, 3).Any(double.IsNaN), "the direct form overflows here");
        var three = Codes(s, rows, cols, 0.05f, 3);
        SinkhornReference.AssertCodes(three, rows, cols, 1e-6, "3 iterations");
        // ε ≈ 1e-3 of the score range: an assignment problem, which Sinkhorn approaches slowly
        // (200 iterations leave the prototypes ~25 % off equipartition; 3 leave them ~75 % off).
        var many = Codes(s, rows, cols, 0.05f, 200);
        SinkhornReference.AssertCodes(many, rows, cols, 1e-6, "200 iterations");
        Assert.That(SinkhornReference.MarginalDeviation(many, rows, cols), Is.LessThan(SinkhornReference.MarginalDeviation(three, rows, cols)));
    }

    [Test]
    public void OnePrototypeTakingEverySampleIsEquipartitioned()
    {
        // Column 0 is 50 above the rest in every row (s/ε + 1000): a per-prototype constant, which the
        // first prototype step divides out exactly — the codes are those of the scores without it.
        const int rows = 48, cols = 12;
        var noise = Uniform(12, rows * cols, -1f, 1f);
        var s = (float[])noise.Clone();
        for (int b = 0; b < rows; b++)
        {
            s[b * cols] += 50f;
            noise[b * cols] = s[b * cols] - 50f;   // exact: the same rounded noise without the offset
        }
        var codes = Codes(s, rows, cols, 0.05f, 3);
        SinkhornReference.AssertCodes(codes, rows, cols, 1e-6, "one prototype far above");
        Close.Assert(Codes(noise, rows, cols, 0.05f, 3), codes, 1e-37f, 1e-6f, "codes without the per-prototype offset");
        var many = Codes(s, rows, cols, 0.05f, 200);
        SinkhornReference.AssertCodes(many, rows, cols, 1e-6, "200 iterations");
        Assert.That(SinkhornReference.MarginalDeviation(many, rows, cols), Is.LessThan(1e-5), "Σ_b codes[b, k] → B/K");
    }

    [TestCase(5, 9)]
    [TestCase(40, 3)]
    public void AllEqualRowsGiveTheUniformCode(int rows, int cols)
    {
        var row = Uniform(13, cols, -50f, 50f);
        var s = Enumerable.Range(0, rows).SelectMany(_ => row).ToArray();
        foreach (int iterations in new[] { 1, 3, 200 })
        {
            var codes = Codes(s, rows, cols, 0.05f, iterations);
            SinkhornReference.AssertCodes(codes, rows, cols, 1e-6, $"{iterations} iterations");
            Close.Assert(Enumerable.Repeat(1f / cols, rows * cols).ToArray(), codes, 0f, 1e-6f, "1/K everywhere");
        }
    }

    [Test]
    public void HugeNegativeScores()
    {
        const int rows = 30, cols = 20;
        // All ≈ −1e4 (s/ε ≈ −2e5): a common constant, divided out — the codes of the offset-free scores.
        var s = Uniform(14, rows * cols, -1f, 1f).Select(x => -1e4f + x).ToArray();
        var offsetFree = s.Select(x => x + 1e4f).ToArray();   // exact (Sterbenz)
        var codes = Codes(s, rows, cols, 0.05f, 3);
        SinkhornReference.AssertCodes(codes, rows, cols, 1e-6, "≈ −1e4");
        Close.Assert(Codes(offsetFree, rows, cols, 0.05f, 3), codes, 1e-37f, 1e-6f, "codes without the common offset");
        var many = Codes(s, rows, cols, 0.05f, 200);
        Assert.That(SinkhornReference.MarginalDeviation(many, rows, cols), Is.LessThan(1e-5), "Σ_b codes[b, k] → B/K");

        // Near −FLT_MAX, mixed with ordinary scores: s/ε ≈ −6e39 (beyond float) in half the entries.
        var extreme = Uniform(15, rows * cols, -1f, 1f);
        for (int i = 0; i < extreme.Length; i += 2) extreme[i] = -3e38f;
        var ex = Codes(extreme, rows, cols, 0.05f, 3);
        SinkhornReference.AssertCodes(ex, rows, cols, 1e-6, "−3e38 entries");
        SinkhornReference.AssertCodes(Codes(Enumerable.Repeat(-3.4e38f, rows * cols).ToArray(), rows, cols, 0.05f, 3), rows, cols, 1e-6, "all −FLT_MAX");
    }

    [Test]
    public void ModerateScoresApproachEquipartitionWithManyIterations()
    {
        foreach (var (rows, cols) in new[] { (64, 16), (16, 64), (45, 37) })
        {
            var s = Uniform(16 + rows, rows * cols, -1f, 1f);
            double three = SinkhornReference.MarginalDeviation(Codes(s, rows, cols, 0.05f, 3), rows, cols);
            var many = Codes(s, rows, cols, 0.05f, 200);
            SinkhornReference.AssertCodes(many, rows, cols, 1e-6, $"{rows}×{cols}");
            Assert.That(SinkhornReference.MarginalDeviation(many, rows, cols), Is.LessThan(1e-5), $"{rows}×{cols}: Σ_b codes[b, k] → B/K (3 iterations: {three:G3})");
        }
    }

    // ---- arguments ----------------------------------------------------------------------------------

    [TestCase(0f, "epsilon")]
    [TestCase(-0.05f, "epsilon")]
    [TestCase(float.NaN, "epsilon")]
    [TestCase(float.PositiveInfinity, "epsilon")]
    [TestCase(1e-40f, "epsilon")]   // subnormal: 1/ε overflows
    public void RejectsBadEpsilon(float epsilon, string name) => AssertRejects(2, 3, epsilon, 3, name);

    [TestCase(0, 3, 3, "rows")]
    [TestCase(2, 0, 3, "cols")]
    [TestCase(2, 3, 0, "iterations")]
    [TestCase(2, 3, -1, "iterations")]
    public void RejectsBadSizesAndIterations(int rows, int cols, int iterations, string name) => AssertRejects(rows, cols, 0.05f, iterations, name);

    private static void AssertRejects(int rows, int cols, float epsilon, int iterations, string name)
    {
        using var scope = TensorScope.Begin();
        var s = Tensor.Zeros(B, 6);
        var codes = Tensor.Empty(B, 6);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => B.SinkhornCodes(s, codes, rows, cols, epsilon, iterations))!;
        Assert.That(e.ParamName, Is.EqualTo(name));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Ops.SinkhornCodes(Tensor.Zeros(B, Math.Max(rows, 0), Math.Max(cols, 0)), epsilon, iterations))!.ParamName,
            Is.EqualTo(name), "the op");
    }

    [Test]
    public void RejectsMismatchedOrSharedTensors()
    {
        using var scope = TensorScope.Begin();
        var s = Tensor.Zeros(B, 2, 3);
        Assert.That(Assert.Throws<ArgumentException>(() => B.SinkhornCodes(s, Tensor.Empty(B, 5), 2, 3, 0.05f, 3))!.ParamName, Is.EqualTo("codes"));
        Assert.That(Assert.Throws<ArgumentException>(() => B.SinkhornCodes(Tensor.Zeros(B, 7), Tensor.Empty(B, 6), 2, 3, 0.05f, 3))!.ParamName, Is.EqualTo("scores"));
        Assert.That(Assert.Throws<ArgumentException>(() => B.SinkhornCodes(s, s.View(6), 2, 3, 0.05f, 3))!.ParamName, Is.EqualTo("codes"), "in place");
    }

    // ---- (g) the op -----------------------------------------------------------------------------------

    [Test]
    public void OpReturnsNewCodesAndRecordsNothing()
    {
        using var scope = TensorScope.Begin();
        var s = GradCheck.Random(17, -1f, 1f, 9, 14);
        s.RequiresGrad = true;
        int tape = Tape.Count;
        var codes = Ops.SinkhornCodes(s, 0.05f, 3);
        Assert.That(Tape.Count, Is.EqualTo(tape), "codes are targets: nothing on the tape");
        Assert.That(codes.Shape, Is.EqualTo(new[] { 9, 14 }));
        Assert.That(codes.RequiresGrad, Is.False);
        Assert.That(codes.Storage, Is.Not.SameAs(s.Storage));
        Assert.That(codes.ToArray(), Is.EqualTo(Codes(s.ToArray(), 9, 14, 0.05f, 3)), "the primitive's codes");
        SinkhornReference.AssertCodes(codes.ToArray(), 9, 14, 1e-6, "op");
        Assert.That(s.ToArray(), Is.EqualTo(GradCheck.Random(17, -1f, 1f, 9, 14).ToArray()), "scores unchanged");
    }

    [Test]
    public void OpRejectsNonMatrices()
    {
        using var scope = TensorScope.Begin();
        Assert.Throws<ArgumentException>(() => Ops.SinkhornCodes(GradCheck.Random(1, -1, 1, 2, 3, 4), 0.05f, 3));
        Assert.Throws<ArgumentException>(() => Ops.SinkhornCodes(GradCheck.Random(1, -1, 1, 6), 0.05f, 3));
    }
}
