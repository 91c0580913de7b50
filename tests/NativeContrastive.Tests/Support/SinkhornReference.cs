using NUnit.Framework;

namespace NativeContrastive.Tests.Support;

/// <summary>
/// The official SwAV <c>distributed_sinkhorn</c> (one process) transcribed line by line in double,
/// and the properties every set of codes must have, for the Sinkhorn tests on each backend.
/// </summary>
public static class SinkhornReference
{
    /// <summary>
    /// <code>
    /// Q = torch.exp(out / epsilon).t()          # K × B
    /// Q /= torch.sum(Q)
    /// for it in range(iters):
    ///     Q /= torch.sum(Q, dim=1, keepdim=True); Q /= K
    ///     Q /= torch.sum(Q, dim=0, keepdim=True); Q /= B
    /// Q *= B
    /// return Q.t()
    /// </code>
    /// Overflows (inf, then NaN) once s/ε exceeds ~709: the reason the backends work in the log domain.
    /// </summary>
    public static double[] Official(float[] scores, int B, int K, double epsilon, int iterations)
    {
        var q = new double[K, B];
        double total = 0;
        for (int b = 0; b < B; b++)
            for (int k = 0; k < K; k++)
                total += q[k, b] = Math.Exp(scores[b * K + k] / epsilon);
        for (int k = 0; k < K; k++)
            for (int b = 0; b < B; b++) q[k, b] /= total;
        for (int it = 0; it < iterations; it++)
        {
            for (int k = 0; k < K; k++)
            {
                double row = 0;
                for (int b = 0; b < B; b++) row += q[k, b];
                for (int b = 0; b < B; b++) q[k, b] = q[k, b] / row / K;
            }
            for (int b = 0; b < B; b++)
            {
                double col = 0;
                for (int k = 0; k < K; k++) col += q[k, b];
                for (int k = 0; k < K; k++) q[k, b] = q[k, b] / col / B;
            }
        }
        var codes = new double[B * K];
        for (int b = 0; b < B; b++)
            for (int k = 0; k < K; k++) codes[b * K + k] = q[k, b] * B;
        return codes;
    }

    /// <summary>Every code finite and ≥ 0, and each sample's code sums to 1 within <paramref name="rowSumTolerance"/>.</summary>
    public static void AssertCodes(float[] codes, int B, int K, double rowSumTolerance, string what)
    {
        Assert.That(codes, Has.Length.EqualTo(B * K), what);
        for (int i = 0; i < codes.Length; i++)
            if (!float.IsFinite(codes[i]) || codes[i] < 0f)
                Assert.Fail($"{what}: codes[{i / K}, {i % K}] = {codes[i]:R} (must be finite and ≥ 0)");
        for (int b = 0; b < B; b++)
        {
            double sum = 0;
            for (int k = 0; k < K; k++) sum += codes[b * K + k];
            Assert.That(sum, Is.EqualTo(1.0).Within(rowSumTolerance), $"{what}: Σ_k codes[{b}, k]");
        }
    }

    /// <summary>max_k |Σ_b codes[b, k] − B/K| / (B/K): how far the prototypes are from equipartition.</summary>
    public static double MarginalDeviation(float[] codes, int B, int K)
    {
        var marginal = new double[K];
        for (int b = 0; b < B; b++)
            for (int k = 0; k < K; k++) marginal[k] += codes[b * K + k];
        double target = (double)B / K;
        return marginal.Max(m => Math.Abs(m - target)) / target;
    }
}
