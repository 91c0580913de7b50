namespace NativeContrastive.Engine.Data;

/// <summary>
/// Separable Gaussian blur of a float CHW image in place, as torchvision's gaussian_blur:
/// k taps at x = −(k−1)/2 .. (k−1)/2 with weight exp(−x²/2σ²) normalised to sum 1, reflect
/// padding (mirror without repeating the edge pixel).
/// </summary>
internal sealed class GaussianBlur
{
    private float[] tmp = [];

    /// <summary>SimCLR's kernel: 10% of the side, made odd (side/10 rounded down to even, plus 1).</summary>
    public static int KernelSizeFor(int side) => side / 10 / 2 * 2 + 1;

    public void Apply(Span<float> img, int channels, int height, int width, int kernel, float sigma)
    {
        if (kernel <= 1) return;
        int r = kernel / 2;
        Span<float> w = stackalloc float[kernel];
        float total = 0;
        for (int t = 0; t < kernel; t++) { float x = t - r; w[t] = MathF.Exp(-x * x / (2 * sigma * sigma)); total += w[t]; }
        for (int t = 0; t < kernel; t++) w[t] /= total;
        int plane = height * width;
        if (tmp.Length < plane) tmp = new float[plane];
        var tp = tmp.AsSpan(0, plane);
        // Reflected source index of every padded position, so the tap loops need no branches.
        Span<int> colAt = stackalloc int[width + 2 * r];
        Span<int> rowAt = stackalloc int[height + 2 * r];
        for (int i = 0; i < colAt.Length; i++) colAt[i] = Reflect(i - r, width);
        for (int i = 0; i < rowAt.Length; i++) rowAt[i] = Reflect(i - r, height) * width;
        for (int c = 0; c < channels; c++)
        {
            var p = img.Slice(c * plane, plane);
            for (int y = 0; y < height; y++)          // horizontal: p → tmp
            {
                var line = p.Slice(y * width, width);
                for (int x = 0; x < width; x++)
                {
                    float acc = 0;
                    for (int t = 0; t < kernel; t++) acc += w[t] * line[colAt[x + t]];
                    tp[y * width + x] = acc;
                }
            }
            for (int y = 0; y < height; y++)          // vertical: tmp → p, whole rows at a time
            {
                var dst = p.Slice(y * width, width);
                dst.Clear();
                for (int t = 0; t < kernel; t++)
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(tp.Slice(rowAt[y + t], width), w[t], dst, dst);
            }
        }
    }

    /// <summary>Reflect index i into 0..n−1 without repeating the edge: −1 → 1, n → n−2.</summary>
    private static int Reflect(int i, int n)
    {
        if (n == 1) return 0;
        while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
        return i;
    }
}
