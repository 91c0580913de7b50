namespace NativeContrastive.Tests.Backends;

public static class TestData
{
    public static float[] Uniform(int seed, long length, float lo = -1f, float hi = 1f)
    {
        var rng = new Random(seed);
        var a = new float[length];
        for (long i = 0; i < length; i++) a[i] = lo + (hi - lo) * (float)rng.NextDouble();
        return a;
    }

    /// <summary>
    /// A random permutation of evenly spaced values (j − length/2 + 0.25)·spacing: all distinct by
    /// at least <paramref name="spacing"/> and at least spacing/4 away from 0, so finite differences
    /// with h &lt; spacing/4 never cross a max-pool tie or a ReLU kink.
    /// </summary>
    public static float[] Spread(int seed, int length, float spacing)
    {
        var rng = new Random(seed);
        var a = new float[length];
        for (int j = 0; j < length; j++) a[j] = (j - length / 2 + 0.25f) * spacing;
        rng.Shuffle(a);
        return a;
    }

    /// <summary>Largest |actual − expected| / (atol + rtol·|expected|); ≤ 1 means within tolerance.</summary>
    public static double WorstRatio(float[] actual, double[] expected, double atol, double rtol, out int worstIndex)
    {
        double worst = 0;
        worstIndex = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double ratio = Math.Abs(actual[i] - expected[i]) / (atol + rtol * Math.Abs(expected[i]));
            if (double.IsNaN(ratio)) ratio = double.PositiveInfinity;
            if (ratio > worst) { worst = ratio; worstIndex = i; }
        }
        return worst;
    }
}
