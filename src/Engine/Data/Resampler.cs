using System.Numerics.Tensors;

namespace NativeContrastive.Engine.Data;

/// <summary>
/// Crop + antialiased bilinear resize (+ optional horizontal flip) of a CHW uint8 image into
/// CHW floats, separably: rows of the crop first (C·h·outW·taps), then columns
/// (C·outH·outW·taps). Output values stay in pixel units (0..255).
/// </summary>
internal sealed class Resampler
{
    private readonly AxisFilter rows = new(), cols = new();
    private float[] mid = [];

    /// <param name="src">(C, H, W) bytes.</param>
    /// <param name="dest">(C, outH, outW) floats in 0..255.</param>
    public void Resize(ReadOnlySpan<byte> src, int channels, int height, int width, CropBox box,
        int outH, int outW, bool flip, Span<float> dest)
    {
        if (!box.FitsIn(height, width))
            throw new ArgumentException($"Crop box {box} does not fit a {height}×{width} image.");
        cols.Build(box.Left, box.Width, outW, flip);
        rows.Build(box.Top, box.Height, outH);
        int midPlane = box.Height * outW;
        if (mid.Length < channels * midPlane) mid = new float[channels * midPlane];
        int ct = cols.Taps, rt = rows.Taps;
        for (int c = 0; c < channels; c++)
        {
            var plane = src.Slice(c * height * width, height * width);
            var m = mid.AsSpan(c * midPlane, midPlane);
            // Horizontal pass: m[y, o] = Σ_t cols.W[o, t] · src[box.Top + y, cols.First[o] + t].
            for (int y = 0; y < box.Height; y++)
            {
                var line = plane.Slice((box.Top + y) * width, width);
                var mo = m.Slice(y * outW, outW);
                for (int o = 0; o < outW; o++)
                {
                    var w = cols.Weights.AsSpan(o * ct, ct);
                    int f = cols.First[o];
                    int n = Math.Min(ct, width - f);
                    float acc = 0;
                    for (int t = 0; t < n; t++) acc += w[t] * line[f + t];
                    mo[o] = acc;
                }
            }
            // Vertical pass: dest[o, x] = Σ_t rows.W[o, t] · m[rows.First[o] − box.Top + t, x].
            var d = dest.Slice(c * outH * outW, outH * outW);
            for (int o = 0; o < outH; o++)
            {
                var w = rows.Weights.AsSpan(o * rt, rt);
                int f = rows.First[o] - box.Top;
                int n = Math.Min(rt, box.Height - f);
                var dr = d.Slice(o * outW, outW);
                dr.Clear();
                for (int t = 0; t < n; t++)
                {
                    float wt = w[t];
                    if (wt == 0) continue;
                    TensorPrimitives.MultiplyAdd(m.Slice((f + t) * outW, outW), wt, dr, dr);
                }
            }
        }
    }
}
