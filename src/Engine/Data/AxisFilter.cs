namespace NativeContrastive.Engine.Data;

/// <summary>
/// One axis of an antialiased bilinear resize (the triangle filter of PIL and of
/// torchvision's resize with antialias=True), from the input span [start, start+len) to
/// outLen samples. With scale = len/outLen and support r = max(scale, 1), output o is centred
/// at c = start + (o + ½)·scale and takes input j with weight max(0, 1 − |j + ½ − c| / r),
/// the weights normalised to sum 1 and the taps clamped to the span. For upsampling (r = 1)
/// this is plain bilinear interpolation with half-pixel centres and edge clamping; for
/// downsampling the wider triangle averages, so no aliasing. When <c>mirror</c>
/// is set, output o takes the weights of output outLen−1−o: an exact horizontal flip.
/// Buffers are reused between builds (one filter per thread).
/// </summary>
internal sealed class AxisFilter
{
    public int[] First = [];   // (outLen) first input index of each output's taps
    public float[] Weights = []; // (outLen, Taps) weights, zero-padded past each output's own taps
    public int Taps;           // taps per output (the widest output's count)

    public void Build(int start, int len, int outLen, bool mirror = false)
    {
        double scale = (double)len / outLen;
        double support = Math.Max(scale, 1.0);
        Taps = (int)Math.Ceiling(support) * 2 + 1;
        if (First.Length < outLen) First = new int[outLen];
        if (Weights.Length < outLen * Taps) Weights = new float[outLen * Taps];
        Span<double> w = stackalloc double[Taps];
        for (int o = 0; o < outLen; o++)
        {
            double center = start + (o + 0.5) * scale;
            int lo = Math.Max((int)Math.Floor(center - support + 0.5), start);
            int hi = Math.Min((int)Math.Floor(center + support + 0.5), start + len); // exclusive
            int count = Math.Min(hi - lo, Taps);
            double total = 0;
            for (int t = 0; t < count; t++)
            {
                double d = Math.Abs(lo + t + 0.5 - center) / support;
                w[t] = d < 1 ? 1 - d : 0;
                total += w[t];
            }
            int dst = mirror ? outLen - 1 - o : o;
            First[dst] = lo;
            var row = Weights.AsSpan(dst * Taps, Taps);
            row.Clear();
            for (int t = 0; t < count; t++) row[t] = (float)(w[t] / total);
        }
    }
}
