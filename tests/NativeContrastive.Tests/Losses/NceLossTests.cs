using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Losses;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Backends;
using NativeContrastive.Tests.Backends.Device;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.Losses;

/// <summary>NPID's NCE loss and normaliser against the paper's formulas evaluated directly in double.</summary>
public class NceLossTests
{
    /// <summary>P = exp(s)/Z, h = P/(P + m/N); L = −(1/B) Σ_b [log h(b,0) + Σ_{j≥1} log(1 − h(b,j))].</summary>
    private static double Reference(float[] s, int batch, int m, double z, long n)
    {
        double total = 0;
        for (int b = 0; b < batch; b++)
            for (int j = 0; j <= m; j++)
            {
                double p = Math.Exp(s[b * (m + 1) + j]) / z;
                double h = p / (p + m * (1.0 / n));
                total += j == 0 ? Math.Log(h) : Math.Log(1 - h);
            }
        return -total / batch;
    }

    [Test]
    public void MatchesPaperOnTinyBatch()
    {
        // B = 2, m = 3, N = 10, Z = 4: h spans both sides of 1/2.
        float[] s = [2.0f, -0.5f, 0.3f, 1.2f, 0.4f, 1.5f, -1.0f, 0.0f];
        float loss = NceLoss.Compute(Tensor.FromArray(GradCheck.Cpu, s, 2, 4), 4f, 10).Item();
        Assert.That(loss, Is.EqualTo(Reference(s, 2, 3, 4, 10)).Within(1e-5));
    }

    [Test]
    public void OneNegativeByHand()
    {
        // m = 1, N = 2 so m·Pn = 1/2; Z = 2 and s = 0 give P = 1/2, hence h = 1/2 for both
        // columns and L = −(log ½ + log ½) = 2 ln 2.
        float loss = NceLoss.Compute(Tensor.Zeros(GradCheck.Cpu, 1, 2), 2f, 2).Item();
        Assert.That(loss, Is.EqualTo(2 * Math.Log(2)).Within(1e-6));
    }

    [Test]
    public void MatchesPaperAtNpidScale()
    {
        // Logits of unit vectors at τ = 0.07 reach ±14; Z ~ N·E[exp] is then large.
        var s = GradCheck.Random(1, -14.3f, 14.3f, 3, 9);
        const long n = 50_000;
        float z = NceLoss.EstimateNormaliser(s, n);
        float loss = NceLoss.Compute(s, z, n).Item();
        Assert.That(loss, Is.EqualTo(Reference(s.ToArray(), 3, 8, z, n)).Within(1e-4 * Math.Max(1, Math.Abs(loss))));
    }

    [Test]
    public void EstimateNormaliserIsDataSizeTimesMeanExp()
    {
        float[] s = [2.0f, -0.5f, 0.3f, 1.2f, 0.4f, 1.5f, -1.0f, 0.0f];
        double mean = s.Select(v => Math.Exp(v)).Average();
        float z = NceLoss.EstimateNormaliser(Tensor.FromArray(GradCheck.Cpu, s, 2, 4), 1000);
        Assert.That(z, Is.EqualTo(1000 * mean).Within(1e-6 * 1000 * mean));
    }

    [Test]
    public void DeviceEstimateFollowsTheHostFormula([Values("cpu", "emu")] string device)
    {
        // NPID's running normaliser on the device (EstimateNormaliserInto: first batch, then
        // Z ← α·Z + (1 − α)·Ẑ) against the host formula it replaces: Ẑ = EstimateNormaliser, the
        // average in double. Logits at τ = 0.07 scale (±14), so Ẑ spans orders of magnitude.
        var be = EmuDevice.ByName(device);
        using var scope = TensorScope.Begin();
        const long n = 50_000;
        const float alpha = 0.9f;
        var z = Tensor.Empty(be, 1);
        double host = 0;
        for (int batch = 0; batch < 4; batch++)
        {
            var s = Tensor.FromArray(be, TestData.Uniform(40 + batch, 5 * 17, -14f + 3 * batch, 11f), 5, 17);
            bool first = batch == 0;
            NceLoss.EstimateNormaliserInto(s, n, z, alpha, first);
            float estimate = NceLoss.EstimateNormaliser(s, n);
            host = first ? estimate : (float)(alpha * host + (1 - alpha) * estimate);
            Assert.That(z.Item(), Is.EqualTo(host).Within(2e-6 * host), $"batch {batch}: Z on the device vs the host formula");
            // The loss with Z on the device equals the loss with the same Z given from the host.
            float zValue = z.Item();
            Assert.That(NceLoss.Compute(s, z, n).Item(), Is.EqualTo(NceLoss.Compute(s, zValue, n).Item()), $"batch {batch}: loss");
        }
    }

    [Test]
    public void FixedEstimateIgnoresTheOldValue([Values("cpu", "emu")] string device)
    {
        // first: Z ← Ẑ with β = 0, so whatever the tensor held (NaN here, as fresh device memory may) is not read.
        var be = EmuDevice.ByName(device);
        using var scope = TensorScope.Begin();
        var z = Tensor.Full(be, float.NaN, 1);
        var s = Tensor.FromArray(be, [2.0f, -0.5f, 0.3f, 1.2f, 0.4f, 1.5f, -1.0f, 0.0f], 2, 4);
        NceLoss.EstimateNormaliserInto(s, 1000, z, 0.9f, first: true);
        double expected = 1000 * new[] { 2.0, -0.5, 0.3, 1.2, 0.4, 1.5, -1.0, 0.0 }.Select(Math.Exp).Average();
        Assert.That(z.Item(), Is.EqualTo(expected).Within(1e-6 * expected));
    }

    [Test]
    public void NonPositiveDeviceZGivesANonFiniteLoss([Values("cpu", "emu")] string device)
    {
        // A Z on the device is not checked on the host (that would be a read-back); the documented
        // contract is a loss that is not finite, which the training step's log reports.
        var be = EmuDevice.ByName(device);
        using var scope = TensorScope.Begin();
        var s = Tensor.FromArray(be, [2.0f, -0.5f, 0.3f, 1.2f], 1, 4);
        foreach (float bad in new[] { -1f, float.NaN })
            Assert.That(NceLoss.Compute(s, Tensor.FromArray(be, [bad], 1), 10).Item(), Is.NaN, $"Z = {bad}");
        Assert.That(NceLoss.Compute(s, Tensor.FromArray(be, [0f], 1), 10).Item(), Is.EqualTo(float.PositiveInfinity), "Z = 0");
    }

    [Test]
    public void Gradient() => GradCheck.Check(x => NceLoss.Compute(x[0], 4f, 10), [GradCheck.Random(2, -2, 2, 2, 4)]);

    [Test]
    public void RejectsBadArguments()
    {
        var s = GradCheck.Random(3, -1, 1, 2, 4);
        Assert.Throws<ArgumentException>(() => NceLoss.Compute(GradCheck.Random(4, -1, 1, 2, 1), 1f, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => NceLoss.Compute(s, 0f, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => NceLoss.Compute(s, 1f, 0));
        Assert.Throws<ArgumentException>(() => NceLoss.Compute(s, Tensor.Full(GradCheck.Cpu, 1f, 2), 10), "Z must be one element");
        Assert.Throws<ArgumentException>(() => NceLoss.EstimateNormaliserInto(s, 10, Tensor.Full(GradCheck.Cpu, 1f, 2), 0.9f, true));
        Assert.Throws<ArgumentOutOfRangeException>(() => NceLoss.EstimateNormaliserInto(s, 10, Tensor.Full(GradCheck.Cpu, 1f, 1), 1f, false));
    }
}
