using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Eval;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Backends.Device;
using NUnit.Framework;

namespace NativeContrastive.Tests.Eval;

/// <summary>
/// k-means on the backend (GEMM + ArgMaxRows + ScatterAddRows): a hand-computed 1-D case, a known
/// partition of well-separated blobs recovered exactly (NMI = AMI = 1, centroids = the blob
/// means), determinism for a seed, the same result on the emulated device, and degenerate input.
/// </summary>
public class KMeansTests
{
    private static CpuBackend Cpu => CpuBackend.Instance;

    /// <summary>k blobs of m points around well-separated centres in d dimensions, shuffled; returns (points, blob of each point).</summary>
    public static (float[] X, int[] Blob) Blobs(int k, int m, int d, double spread, int seed)
    {
        var rng = new Random(seed);
        var centres = Enumerable.Range(0, k * d).Select(_ => 10.0 * (rng.NextDouble() * 2 - 1)).ToArray();
        var order = Enumerable.Range(0, k * m).OrderBy(_ => rng.Next()).ToArray();
        var x = new float[k * m * d];
        var blob = new int[k * m];
        for (int s = 0; s < k * m; s++)
        {
            int b = order[s] / m;
            blob[s] = b;
            for (int t = 0; t < d; t++)
            {
                double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                x[s * d + t] = (float)(centres[b * d + t] + spread * g);
            }
        }
        return (x, blob);
    }

    [Test]
    public void HandComputedOneDimensional()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(Cpu, [0f, 10f, 1f, 11f], 4, 1);
        var r = KMeans.Fit(x, 2, seed: 3);
        Assert.That(r.Converged);
        Assert.That(r.Assignments[0], Is.EqualTo(r.Assignments[2]));
        Assert.That(r.Assignments[1], Is.EqualTo(r.Assignments[3]));
        Assert.That(r.Assignments[0], Is.Not.EqualTo(r.Assignments[1]));
        Assert.That(r.Centroids.Order().ToArray(), Is.EqualTo(new[] { 0.5f, 10.5f }));
        Assert.That(r.Inertia, Is.EqualTo(1.0).Within(1e-9), "four points each 0.5 from their centroid");
    }

    [TestCase(1u)]
    [TestCase(2u)]
    [TestCase(99u)]
    public void RecoversAKnownPartition(ulong seed)
    {
        using var scope = TensorScope.Begin();
        var (x, blob) = Blobs(k: 5, m: 40, d: 8, spread: 0.3, seed: 7);
        var r = KMeans.Fit(Tensor.FromArray(Cpu, x, 200, 8), 5, seed);
        Assert.That(r.Converged, Is.True);
        Assert.That(ClusteringMetrics.Nmi(blob, r.Assignments), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(ClusteringMetrics.Ami(blob, r.Assignments), Is.EqualTo(1.0).Within(1e-12));
        // Each centroid is the mean of its points; the inertia their squared distances.
        double inertia = 0;
        for (int c = 0; c < 5; c++)
        {
            var members = Enumerable.Range(0, 200).Where(i => r.Assignments[i] == c).ToArray();
            for (int t = 0; t < 8; t++)
            {
                double mean = members.Average(i => (double)x[i * 8 + t]);
                Assert.That(r.Centroids[c * 8 + t], Is.EqualTo(mean).Within(1e-4), $"centroid {c}[{t}]");
                inertia += members.Sum(i => (x[i * 8 + t] - mean) * (x[i * 8 + t] - mean));
            }
        }
        Assert.That(r.Inertia, Is.EqualTo(inertia).Within(1e-3 * inertia));
    }

    [Test]
    public void DeterministicForASeedAndRestartsKeepTheLowestInertia()
    {
        using var scope = TensorScope.Begin();
        var (x, _) = Blobs(k: 6, m: 30, d: 4, spread: 4.0, seed: 11);   // overlapping: local minima exist
        var t = Tensor.FromArray(Cpu, x, 180, 4);
        var a = KMeans.Fit(t, 6, seed: 5);
        var b = KMeans.Fit(t, 6, seed: 5);
        Assert.That(b.Assignments, Is.EqualTo(a.Assignments));
        Assert.That(b.Centroids, Is.EqualTo(a.Centroids));
        var best = KMeans.Fit(t, 6, seed: 5, restarts: 4);
        Assert.That(best.Inertia, Is.LessThanOrEqualTo(a.Inertia));
    }

    [Test]
    public void EmuEqualsCpu()
    {
        using var scope = TensorScope.Begin();
        var (x, blob) = Blobs(k: 4, m: 25, d: 6, spread: 0.5, seed: 3);
        var cpu = KMeans.Fit(Tensor.FromArray(Cpu, x, 100, 6), 4, seed: 8);
        var emu = KMeans.Fit(Tensor.FromArray(EmuDevice.Backend, x, 100, 6), 4, seed: 8);
        Assert.That(emu.Assignments, Is.EqualTo(cpu.Assignments));
        Assert.That(emu.Iterations, Is.EqualTo(cpu.Iterations));
        for (int i = 0; i < cpu.Centroids.Length; i++) Assert.That(emu.Centroids[i], Is.EqualTo(cpu.Centroids[i]).Within(1e-5));
        Assert.That(ClusteringMetrics.Ami(blob, emu.Assignments), Is.EqualTo(1.0).Within(1e-12));
    }

    [Test]
    public void MoreClustersThanDistinctPointsLeavesNoneEmptyOfMeaning()
    {
        using var scope = TensorScope.Begin();
        // Three distinct points, five copies each; k = 4: seeding runs out of distance and an empty
        // cluster is relocated; every point still sits on a centroid.
        var x = Enumerable.Range(0, 15).SelectMany(i => new[] { (float)(i % 3), 2f * (i % 3) }).ToArray();
        var r = KMeans.Fit(Tensor.FromArray(Cpu, x, 15, 2), 4, seed: 1);
        Assert.That(r.Inertia, Is.EqualTo(0.0));
        Assert.That(ClusteringMetrics.Ami(Enumerable.Range(0, 15).Select(i => i % 3).ToArray(), r.Assignments), Is.EqualTo(1.0).Within(1e-12));
    }

    [Test]
    public void RejectsBadArguments()
    {
        using var scope = TensorScope.Begin();
        var x = Tensor.Zeros(Cpu, 3, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => KMeans.Fit(x, 4, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => KMeans.Fit(x, 0, 1));
        Assert.Throws<ArgumentException>(() => KMeans.Fit(Tensor.Zeros(Cpu, 3), 1, 1));
    }
}
