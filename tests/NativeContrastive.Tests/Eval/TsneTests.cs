using NativeContrastive.Engine.Eval;
using NUnit.Framework;

namespace NativeContrastive.Tests.Eval;

/// <summary>
/// t-SNE: well-separated Gaussian blobs stay separated and neighbourhoods are kept
/// (trustworthiness, kNN class agreement in the embedding), the same seed gives the same bits,
/// the affinities are a symmetric distribution calibrated to the perplexity, and the plot is a PNG.
/// </summary>
public class TsneTests
{
    [TestCase(true)]
    [TestCase(false)]
    public void SeparatesBlobsAndKeepsNeighbourhoods(bool pcaInit)
    {
        var (x, blob) = KMeansTests.Blobs(k: 5, m: 40, d: 10, spread: 1.0, seed: 4);
        int n = 200;
        var r = Tsne.Fit(x, n, 10, new TsneOptions { Perplexity = 30, PcaInit = pcaInit, Seed = 3 });
        var distances = Tsne.SquaredDistances(x, n, 10);
        double trust = Tsne.Trustworthiness(distances, r.Y, n, 2, k: 5);
        Assert.That(trust, Is.GreaterThan(0.95), "trustworthiness(5)");
        // Each point's 5 nearest embedded neighbours come from its own blob.
        int agree = 0;
        for (int i = 0; i < n; i++)
            agree += Enumerable.Range(0, n).Where(j => j != i)
                .OrderBy(j => Sq(r.Y[2 * i] - r.Y[2 * j]) + Sq(r.Y[2 * i + 1] - r.Y[2 * j + 1])).Take(5).Count(j => blob[j] == blob[i]);
        Assert.That(agree / (5.0 * n), Is.GreaterThanOrEqualTo(0.99), "5-NN class agreement in 2-D");
        Assert.That(r.KlDivergence, Is.GreaterThan(0).And.LessThan(1.0));
    }

    private static double Sq(double v) => v * v;

    [TestCase(true)]
    [TestCase(false)]
    public void DeterministicForASeed(bool pcaInit)
    {
        var (x, _) = KMeansTests.Blobs(k: 3, m: 30, d: 5, spread: 2.0, seed: 9);
        var o = new TsneOptions { Perplexity = 10, Iterations = 300, PcaInit = pcaInit, Seed = 12 };
        var a = Tsne.Fit(x, 90, 5, o);
        var b = Tsne.Fit(x, 90, 5, o);
        Assert.That(b.Y, Is.EqualTo(a.Y), "bit for bit");
        if (!pcaInit)
            Assert.That(Tsne.Fit(x, 90, 5, o with { Seed = 13 }).Y, Is.Not.EqualTo(a.Y), "another seed, another start");
    }

    [Test]
    public void AffinitiesAreSymmetricAndCalibrated()
    {
        var (x, _) = KMeansTests.Blobs(k: 2, m: 20, d: 3, spread: 1.0, seed: 1);
        int n = 40;
        var d = Tsne.SquaredDistances(x, n, 3);
        var p = Tsne.JointProbabilities(d, n, perplexity: 5);
        double sum = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                sum += p[i * n + j];
                Assert.That(p[i * n + j], Is.EqualTo(p[j * n + i]), "symmetric");
                if (i == j) Assert.That(p[i * n + j], Is.Zero);
            }
        Assert.That(sum, Is.EqualTo(1.0).Within(1e-5));
        // Row 0's conditional distribution has entropy log 5: recover it from p_{j|0} ∝ exp(−β d²) by bisection here.
        double lo = 0, hi = 1e6;
        for (int it = 0; it < 200; it++)
        {
            double beta = (lo + hi) / 2, z = 0, w = 0;
            for (int j = 1; j < n; j++) { double e = Math.Exp(-beta * d[j]); z += e; w += d[j] * e; }
            double h = Math.Log(z) + beta * w / z;
            if (h > Math.Log(5)) lo = beta; else hi = beta;
        }
        Assert.That(hi - lo, Is.LessThan(1e-6), "a perplexity of 5 is reachable");
    }

    [Test]
    public void TrustworthinessOfAnExactCopyIsOne()
    {
        var (x, _) = KMeansTests.Blobs(k: 2, m: 15, d: 2, spread: 1.0, seed: 2);
        Assert.That(Tsne.Trustworthiness(Tsne.SquaredDistances(x, 30, 2), x, 30, 2, 5), Is.EqualTo(1.0));
        // A random embedding is far less trustworthy.
        var rng = new Random(1);
        var noise = Enumerable.Range(0, 60).Select(_ => (float)rng.NextDouble()).ToArray();
        Assert.That(Tsne.Trustworthiness(Tsne.SquaredDistances(x, 30, 2), noise, 30, 2, 5), Is.LessThan(0.8));
    }

    [Test]
    public void PlotIsAPng()
    {
        using var dir = new Data.TempDir();
        string path = Path.Combine(dir.Path, "tsne.png");
        var rng = new Random(1);
        var y = Enumerable.Range(0, 60).Select(_ => (float)rng.NextDouble()).ToArray();
        EmbeddingPlot.Write(path, y, Enumerable.Range(0, 30).Select(i => i % 3).ToArray(), ["a", "b", "c"], "test");
        var bytes = File.ReadAllBytes(path);
        Assert.That(bytes[..8], Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }));
        Assert.That(Directory.GetFiles(dir.Path), Has.Length.EqualTo(1), "no temporary file left");
    }
}
