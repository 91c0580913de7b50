namespace NativeContrastive.Engine.Data;

/// <summary>
/// Per-channel normalisation y = (x/255 − mean[c]) / std[c] in the units of [0, 1] pixels.
/// Arrays of length 1 apply to every channel.
/// </summary>
public sealed record Normalization(float[] Mean, float[] Std)
{
    /// <summary>y = x/255: only the scale to [0, 1].</summary>
    public static Normalization Identity { get; } = new([0f], [1f]);

    /// <summary>Mean and standard deviation per channel over every pixel of the data set (in double).</summary>
    public static Normalization Compute(ImageDataset ds)
    {
        int c = ds.Channels, plane = ds.Height * ds.Width;
        var sum = new double[c];
        var sumSq = new double[c];
        for (int n = 0; n < ds.Count; n++)
        {
            var img = ds.Image(n);
            for (int ch = 0; ch < c; ch++)
            {
                long s = 0, s2 = 0; // exact integer sums per plane
                foreach (byte b in img.Slice(ch * plane, plane)) { s += b; s2 += b * b; }
                sum[ch] += s;
                sumSq[ch] += s2;
            }
        }
        double count = (double)ds.Count * plane;
        var mean = new float[c];
        var std = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            double m = count > 0 ? sum[ch] / count / 255.0 : 0;
            double v = count > 0 ? sumSq[ch] / count / (255.0 * 255.0) - m * m : 1;
            mean[ch] = (float)m;
            std[ch] = (float)Math.Sqrt(Math.Max(v, 1e-12));
        }
        return new Normalization(mean, std);
    }

    /// <summary>Mean for channel <paramref name="c"/>, broadcasting length-1 arrays.</summary>
    public float MeanOf(int c) => Mean.Length == 1 ? Mean[0] : Mean[c];

    public float StdOf(int c) => Std.Length == 1 ? Std[0] : Std[c];

    /// <summary>Throws unless the arrays fit an image of <paramref name="channels"/> channels.</summary>
    public void Validate(int channels)
    {
        if (Mean.Length != Std.Length || (Mean.Length != 1 && Mean.Length != channels))
            throw new ArgumentException($"Normalization has {Mean.Length} means and {Std.Length} stds; an image of {channels} channel(s) needs 1 or {channels} of each.");
        foreach (var s in Std)
            if (!(s > 0)) throw new ArgumentException($"Normalization std must be > 0, got {s}.");
    }
}
