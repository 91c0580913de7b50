using System.Numerics.Tensors;

namespace NativeContrastive.Engine.Data;

/// <summary>
/// The colour transforms of torchvision's functional API on a float CHW image in [0, 1]
/// (one plane per channel, <c>plane</c> pixels each), in place. Each blends the image with a
/// reference and clamps to [0, 1]: blend(x, r, f) = clamp(f·x + (1 − f)·r).
/// Grey (C = 1) images: brightness and contrast apply (the mean of the only channel is the
/// grey mean); saturation, hue and grayscale are identities there, as on an RGB image whose
/// channels are equal — so callers may call them for any C.
/// </summary>
public static class ColorOps
{
    // ITU-R 601-2 luma, as torchvision's rgb_to_grayscale.
    public const float LumaR = 0.2989f, LumaG = 0.587f, LumaB = 0.114f;

    /// <summary>x ← clamp(f·x): blend with black.</summary>
    public static void Brightness(Span<float> img, float f)
    {
        TensorPrimitives.Multiply(img, f, img);
        Clamp01(img);
    }

    /// <summary>x ← clamp(f·x + (1 − f)·m), m = mean of the grey image over all pixels.</summary>
    public static void Contrast(Span<float> img, int channels, int plane, float f)
    {
        float m = channels == 3 ? MeanLuma(img, plane) : TensorPrimitives.Sum<float>(img.Slice(0, plane)) / plane;
        TensorPrimitives.Multiply(img, f, img);
        TensorPrimitives.Add(img, (1 - f) * m, img);
        Clamp01(img);
    }

    /// <summary>x ← clamp(f·x + (1 − f)·grey(x)) per pixel. Identity for C ≠ 3.</summary>
    public static void Saturation(Span<float> img, int channels, int plane, float f)
    {
        if (channels != 3) return;
        var r = img.Slice(0, plane); var g = img.Slice(plane, plane); var b = img.Slice(2 * plane, plane);
        for (int i = 0; i < plane; i++)
        {
            float y = (1 - f) * (LumaR * r[i] + LumaG * g[i] + LumaB * b[i]);
            r[i] = Math.Clamp(f * r[i] + y, 0f, 1f);
            g[i] = Math.Clamp(f * g[i] + y, 0f, 1f);
            b[i] = Math.Clamp(f * b[i] + y, 0f, 1f);
        }
    }

    /// <summary>
    /// Rotates hue by <paramref name="shift"/> turns (|shift| ≤ ½): RGB → HSV, h ← (h + shift) mod 1,
    /// HSV → RGB. Grey pixels (s = 0) are unchanged. Identity for C ≠ 3.
    /// </summary>
    public static void Hue(Span<float> img, int channels, int plane, float shift)
    {
        if (channels != 3) return;
        var r = img.Slice(0, plane); var g = img.Slice(plane, plane); var b = img.Slice(2 * plane, plane);
        for (int i = 0; i < plane; i++)
        {
            float rr = r[i], gg = g[i], bb = b[i];
            float max = MathF.Max(rr, MathF.Max(gg, bb)), min = MathF.Min(rr, MathF.Min(gg, bb));
            float chroma = max - min;
            if (chroma <= 0) continue;
            float v = max, s = chroma / max;
            // Hue in turns: sector by which channel is the maximum.
            float h = max == rr ? (gg - bb) / chroma : max == gg ? 2 + (bb - rr) / chroma : 4 + (rr - gg) / chroma;
            h = h / 6f + shift;
            h -= MathF.Floor(h);
            float h6 = h * 6f;
            int sector = Math.Min((int)h6, 5);
            float frac = h6 - sector;
            float p = v * (1 - s), q = v * (1 - s * frac), t = v * (1 - s * (1 - frac));
            (r[i], g[i], b[i]) = sector switch
            {
                0 => (v, t, p),
                1 => (q, v, p),
                2 => (p, v, t),
                3 => (p, q, v),
                4 => (t, p, v),
                _ => (v, p, q),
            };
        }
    }

    /// <summary>Every channel ← grey(x) = 0.2989 R + 0.587 G + 0.114 B. Identity for C ≠ 3.</summary>
    public static void Grayscale(Span<float> img, int channels, int plane)
    {
        if (channels != 3) return;
        var r = img.Slice(0, plane); var g = img.Slice(plane, plane); var b = img.Slice(2 * plane, plane);
        for (int i = 0; i < plane; i++)
        {
            float y = LumaR * r[i] + LumaG * g[i] + LumaB * b[i];
            r[i] = y; g[i] = y; b[i] = y;
        }
    }

    private static float MeanLuma(ReadOnlySpan<float> img, int plane) =>
        (LumaR * TensorPrimitives.Sum(img.Slice(0, plane)) + LumaG * TensorPrimitives.Sum(img.Slice(plane, plane))
         + LumaB * TensorPrimitives.Sum(img.Slice(2 * plane, plane))) / plane;

    private static void Clamp01(Span<float> img)
    {
        TensorPrimitives.Max(img, 0f, img);
        TensorPrimitives.Min(img, 1f, img);
    }
}
