using NativeContrastive.Engine.Optim;
using NativeContrastive.Engine.Tensors;
using NUnit.Framework;
using static NativeContrastive.Tests.Support.GradCheck;

namespace NativeContrastive.Tests.OptimTests;

/// <summary>
/// Each optimiser against a scalar example worked by hand from its formula. Each tensor
/// holds the same scalar in every element (19 or 21 elements: full SIMD vectors plus a
/// scalar tail), so every element must follow the hand-computed trajectory.
/// </summary>
public class OptimizerTests
{
    private const int N = 19;

    private static Tensor Param(string name, float value, params int[] shape)
    {
        var p = Tensor.Parameter(Cpu, name, shape.Length == 0 ? [N] : shape);
        Cpu.Fill(p, value);
        return p;
    }

    private static void SetGrad(Tensor p, float g) => Cpu.Fill(p.Grad!, g);

    private static void AssertAll(Tensor t, double expected, string what) =>
        Assert.That(t.ToArray(), Is.All.EqualTo((float)expected).Within(2e-6), what);

    [Test]
    public void SgdPlain()
    {
        // p ← p − lr·g: 1 − 0.1·0.5 = 0.95, then 0.90.
        using var p = Param("w", 1f, 3, 7);
        using var opt = new Sgd([("w", p)]);
        SetGrad(p, 0.5f);
        opt.Step(0.1f); AssertAll(p, 0.95, "step 1");
        opt.Step(0.1f); AssertAll(p, 0.90, "step 2");
        Assert.That(opt.State(), Is.Empty);
        Assert.That(opt.StepCount, Is.EqualTo(2));
    }

    [Test]
    public void SgdMomentumWeightDecay()
    {
        // lr 0.1, μ 0.9, wd 0.1, g = 0.5, p0 = 1.
        // 1: d = 0.5 + 0.1·1 = 0.6;        buf = 0.6;                 p = 1 − 0.06 = 0.94
        // 2: d = 0.5 + 0.094 = 0.594;      buf = 0.54 + 0.594 = 1.134; p = 0.94 − 0.1134 = 0.8266
        // 3: d = 0.5 + 0.08266 = 0.58266;  buf = 1.0206 + 0.58266 = 1.60326; p = 0.8266 − 0.160326 = 0.666274
        using var p = Param("w", 1f, 3, 7);
        using var opt = new Sgd([("w", p)], momentum: 0.9f, weightDecay: 0.1f);
        SetGrad(p, 0.5f);
        opt.Step(0.1f); AssertAll(p, 0.94, "step 1");
        opt.Step(0.1f); AssertAll(p, 0.8266, "step 2");
        opt.Step(0.1f); AssertAll(p, 0.666274, "step 3");
        var state = opt.State().Single();
        Assert.That(state.Name, Is.EqualTo("momentum.w"));
        AssertAll(state.Tensor, 1.60326, "momentum buffer");
    }

    [Test]
    public void SgdNesterov()
    {
        // lr 0.1, μ 0.9, wd 0.1, g = 0.5, p0 = 1.
        // 1: d = 0.6; buf = 0.6; step = d + μ·buf = 1.14; p = 0.886
        // 2: d = 0.5 + 0.0886 = 0.5886; buf = 0.54 + 0.5886 = 1.1286; step = 0.5886 + 1.01574 = 1.60434; p = 0.886 − 0.160434 = 0.725566
        using var p = Param("w", 1f);
        using var opt = new Sgd([("w", p)], momentum: 0.9f, weightDecay: 0.1f, nesterov: true);
        SetGrad(p, 0.5f);
        opt.Step(0.1f); AssertAll(p, 0.886, "step 1");
        opt.Step(0.1f); AssertAll(p, 0.725566, "step 2");
    }

    [Test]
    public void LarsAdaptsWeightsAndExcludesBiases()
    {
        // Weight [3,7], all 2, g = 0.5; lr 1, μ 0.9, wd 0.1, η 0.001. With identical elements
        // ‖w‖/‖d‖ = |w|/|d|, so λ·d = lr·η·|w|/|d|·d = η·w each step.
        // 1: d = 0.7, r = 0.001·2/0.7, λ·d = 0.002;       v = 0.002;                         p = 1.998
        // 2: λ·d = 0.001·1.998 = 0.001998;                  v = 0.0018 + 0.001998 = 0.003798;  p = 1.994202
        // 3: λ·d = 0.001994202;                             v = 0.0034182 + 0.001994202 = 0.005412402; p = 1.988789598
        // Bias [19] (rank 1: excluded), all 1, g = 0.5: no decay, no adaptation, v = μ·v + lr·g.
        // 1: v = 0.5, p = 0.5;  2: v = 0.95, p = −0.45;  3: v = 1.355, p = −1.805
        using var w = Param("fc.weight", 2f, 3, 7);
        using var b = Param("fc.bias", 1f);
        using var opt = new Lars([("fc.weight", w), ("fc.bias", b)], momentum: 0.9f, weightDecay: 0.1f, trustCoefficient: 0.001f);
        Assert.That(opt.IsExcluded(0), Is.False);
        Assert.That(opt.IsExcluded(1), Is.True);
        SetGrad(w, 0.5f);
        SetGrad(b, 0.5f);
        opt.Step(1f); AssertAll(w, 1.998, "weight step 1"); AssertAll(b, 0.5, "bias step 1");
        opt.Step(1f); AssertAll(w, 1.994202, "weight step 2"); AssertAll(b, -0.45, "bias step 2");
        opt.Step(1f); AssertAll(w, 1.988789598, "weight step 3"); AssertAll(b, -1.805, "bias step 3");
        Assert.That(opt.State().Select(s => s.Name), Is.EqualTo(new[] { "momentum.fc.weight", "momentum.fc.bias" }));
    }

    [Test]
    public void LarsZeroWeightFallsBackToTrustRatioOne()
    {
        // ‖w‖ = 0 → r = 1: v = lr·g = 0.1·0.5, p = −0.05.
        using var w = Param("w", 0f, 3, 7);
        using var opt = new Lars([("w", w)], momentum: 0.9f);
        SetGrad(w, 0.5f);
        opt.Step(0.1f);
        AssertAll(w, -0.05, "step 1");
    }

    [Test]
    public void AdamBiasCorrection()
    {
        // lr 0.1, β (0.9, 0.999), ε 1e-8, p0 = 1; g1 = 0.5, g2 = −0.25.
        // 1: m = 0.05, v = 0.00025; m̂ = 0.05/0.1 = 0.5, √v̂ = √(0.00025/0.001) = 0.5; p = 1 − 0.1·0.5/0.5 = 0.9
        // 2: m = 0.045 − 0.025 = 0.02, v = 0.00024975 + 0.0000625 = 0.00031225;
        //    m̂ = 0.02/0.19 = 0.10526316, v̂ = 0.00031225/0.001999 = 0.15620310, √v̂ = 0.39522538;
        //    p = 0.9 − 0.1·0.10526316/0.39522538 = 0.9 − 0.0266337 = 0.8733663
        using var p = Param("w", 1f);
        using var opt = new Adam([("w", p)]);
        SetGrad(p, 0.5f); opt.Step(0.1f); AssertAll(p, 0.9, "step 1");
        SetGrad(p, -0.25f); opt.Step(0.1f);
        Assert.That(p.ToArray(), Is.All.EqualTo(0.8733663f).Within(1e-5f), "step 2");
        Assert.That(opt.State().Select(s => s.Name), Is.EqualTo(new[] { "exp_avg.w", "exp_avg_sq.w" }));
        AssertAll(opt.State().First().Tensor, 0.02, "exp_avg");
        Assert.That(opt.State().Last().Tensor.ToArray(), Is.All.EqualTo(0.00031225f).Within(1e-8f), "exp_avg_sq (1 − β2 in float32 is 0.00099999)");
    }

    [Test]
    public void AdamL2WeightDecayEntersTheGradient()
    {
        // wd 0.1 → g1 = 0.5 + 0.1·1 = 0.6: m = 0.06, v = 0.00036, m̂ = 0.6, √v̂ = 0.6, p = 0.9.
        // g2 = −0.25 + 0.1·0.9 = −0.16: m = 0.054 − 0.016 = 0.038, v = 0.00035964 + 0.0000256 = 0.00038524;
        // m̂ = 0.2, v̂ = 0.19271636, √v̂ = 0.43899471; p = 0.9 − 0.02/0.43899471 = 0.85444136
        using var p = Param("w", 1f);
        using var opt = new Adam([("w", p)], weightDecay: 0.1f);
        SetGrad(p, 0.5f); opt.Step(0.1f); AssertAll(p, 0.9, "step 1");
        SetGrad(p, -0.25f); opt.Step(0.1f);
        Assert.That(p.ToArray(), Is.All.EqualTo(0.85444136f).Within(1e-5f), "step 2");
    }

    [Test]
    public void AdamWDecouplesWeightDecay()
    {
        // wd 0.1, lr 0.1: p ← p·(1 − 0.01) before each Adam step (moments as in AdamBiasCorrection).
        // 1: 1·0.99 − 0.1 = 0.89;  2: 0.89·0.99 − 0.0266337 = 0.8811 − 0.0266337 = 0.8544663
        using var p = Param("w", 1f);
        using var opt = new AdamW([("w", p)], weightDecay: 0.1f);
        SetGrad(p, 0.5f); opt.Step(0.1f); AssertAll(p, 0.89, "step 1");
        SetGrad(p, -0.25f); opt.Step(0.1f);
        Assert.That(p.ToArray(), Is.All.EqualTo(0.8544663f).Within(1e-5f), "step 2");
    }

    [TestCase("sgd")]
    [TestCase("lars")]
    [TestCase("adam")]
    [TestCase("adamw")]
    public void RestoringStateAndStepCountResumesExactly(string name)
    {
        // Three steps straight vs two steps, copy (params, state, step count) into a fresh optimiser, one more step.
        var grads = new[] { 0.5f, -0.3f, 0.2f };
        var options = new OptimizerOptions { Momentum = 0.9f, WeightDecay = 0.01f };
        using var a = Param("w", 1.5f, 3, 7);
        using (var optA = OptimizerFactory.Create(name, [("w", a)], options))
            foreach (var g in grads) { SetGrad(a, g); optA.Step(0.05f); }

        using var b = Param("w", 1.5f, 3, 7);
        using var optB = OptimizerFactory.Create(name, [("w", b)], options);
        for (int i = 0; i < 2; i++) { SetGrad(b, grads[i]); optB.Step(0.05f); }
        using var c = Param("w", 0f, 3, 7);
        Cpu.Copy(b, c);
        using var optC = OptimizerFactory.Create(name, [("w", c)], options);
        foreach (var ((_, src), (_, dst)) in optB.State().Zip(optC.State())) Cpu.Copy(src, dst);
        optC.StepCount = optB.StepCount;
        SetGrad(c, grads[2]);
        optC.Step(0.05f);
        Assert.That(c.ToArray(), Is.EqualTo(a.ToArray()));
    }

    [Test]
    public void FactoryBuildsEachAndRejectsUnknown()
    {
        using var p = Param("w", 1f);
        Assert.That(OptimizerFactory.Create("sgd", [("w", p)], new()), Is.TypeOf<Sgd>());
        Assert.That(OptimizerFactory.Create("lars", [("w", p)], new()), Is.TypeOf<Lars>());
        Assert.That(OptimizerFactory.Create("adam", [("w", p)], new()), Is.TypeOf<Adam>());
        Assert.That(OptimizerFactory.Create("adamw", [("w", p)], new()), Is.TypeOf<AdamW>());
        var ex = Assert.Throws<ArgumentException>(() => OptimizerFactory.Create("rmsprop", [("w", p)], new()));
        Assert.That(ex!.Message, Does.Contain("'rmsprop'").And.Contain("sgd, lars, adam, adamw"));
    }

    [Test]
    public void IsBatchNormOrBiasByRank()
    {
        using var bias = Param("layer1.0.bn1.weight", 1f, 4);
        using var conv = Param("layer1.0.conv1.weight", 1f, 4, 3, 3, 3);
        Assert.That(ParameterFilters.IsBatchNormOrBias("layer1.0.bn1.weight", bias), Is.True);
        Assert.That(ParameterFilters.IsBatchNormOrBias("layer1.0.conv1.weight", conv), Is.False);
    }

    [Test]
    public void AFrozenParameterSitsTheStepOutAndAdamCountsOnlyItsOwnUpdates()
    {
        // Two parameters; "c" is frozen for the first 3 steps (SwAV's prototypes). While frozen it,
        // and its moments, must not move even with weight decay; afterwards its trajectory must equal a
        // fresh Adam's on that parameter alone (bias correction from its own first update, as PyTorch).
        using var w = Param("w", 1f);
        using var c = Param("c", 1f);
        using var cFresh = Param("c", 1f);
        using var opt = new Adam([("w", w), ("c", c)], weightDecay: 0.1f);
        using var fresh = new Adam([("c", cFresh)], weightDecay: 0.1f);
        var frozen = new HashSet<Tensor> { c };
        for (int step = 0; step < 3; step++)
        {
            SetGrad(w, 0.5f); SetGrad(c, 0.5f);
            opt.Step(0.1f, frozen);
        }
        AssertAll(c, 1.0, "frozen parameter unchanged");
        Assert.That(opt.State().Where(s => s.Name.EndsWith(".c")).SelectMany(s => s.Tensor.ToArray()), Is.All.EqualTo(0f), "its moments unchanged");
        Assert.That(w.ToArray()[0], Is.LessThan(1f), "the other parameter moved");
        for (int step = 0; step < 2; step++)
        {
            SetGrad(w, 0.5f); SetGrad(c, 0.5f); SetGrad(cFresh, 0.5f);
            opt.Step(0.1f);
            fresh.Step(0.1f);
            Assert.That(c.ToArray(), Is.EqualTo(cFresh.ToArray()), $"after unfreezing, update {step + 1} equals a fresh Adam's");
        }
        Assert.That(opt.StateMetadata(), Is.EqualTo(new Dictionary<string, string> { ["skipped.c"] = "3" }));
        using var w2 = Param("w", 1f);
        using var c2 = Param("c", 1f);
        using var restored = new Adam([("w", w2), ("c", c2)]) { StepCount = opt.StepCount };
        restored.LoadStateMetadata(opt.StateMetadata());
        Assert.That(restored.StateMetadata(), Is.EqualTo(opt.StateMetadata()), "the skipped counts round-trip through checkpoint metadata");
        Assert.Throws<FormatException>(() => restored.LoadStateMetadata(new Dictionary<string, string> { ["skipped.c"] = "99" }));
    }
}
