using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>Elementwise maps: TensorPrimitives gives the SIMD loop; large tensors split across cores.</summary>
public sealed partial class CpuBackend
{
    /// <summary>Runs <paramref name="body"/>(start, length) over [0, n) in chunks, in parallel when n is large.</summary>
    internal static void Chunked(long n, Action<int, int> body)
    {
        if (n < ParallelThreshold)
        {
            body(0, (int)n);
            return;
        }
        int chunks = Math.Min(Environment.ProcessorCount * 4, (int)(n / (ParallelThreshold / 2)));
        long size = (n + chunks - 1) / chunks;
        Parallel.For(0, chunks, i =>
        {
            long start = i * size;
            long len = Math.Min(size, n - start);
            if (len > 0) body((int)start, (int)len);
        });
    }

    public void Add(Tensor a, Tensor b, Tensor y)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(3 * y.Length));
        float[] A = Data(a), B = Data(b), Y = Data(y);
        Chunked(y.Length, (s, n) => TensorPrimitives.Add(A.AsSpan(s, n), B.AsSpan(s, n), Y.AsSpan(s, n)));
    }

    public void Mul(Tensor a, Tensor b, Tensor y)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(3 * y.Length));
        float[] A = Data(a), B = Data(b), Y = Data(y);
        Chunked(y.Length, (s, n) => TensorPrimitives.Multiply(A.AsSpan(s, n), B.AsSpan(s, n), Y.AsSpan(s, n)));
    }

    public void Axpby(float alpha, Tensor x, float beta, Tensor y)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements((beta == 0f ? 2 : 3) * y.Length));
        float[] X = Data(x), Y = Data(y);
        Chunked(y.Length, (s, n) =>
        {
            var ys = Y.AsSpan(s, n);
            var xs = X.AsSpan(s, n);
            if (beta == 0f) TensorPrimitives.Multiply(xs, alpha, ys);
            else if (beta == 1f) TensorPrimitives.MultiplyAdd(xs, alpha, ys, ys);
            else
            {
                TensorPrimitives.Multiply(ys, beta, ys);
                TensorPrimitives.MultiplyAdd(xs, alpha, ys, ys);
            }
        });
    }

    public void Affine(Tensor x, float scale, float shift, Tensor y)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(2 * y.Length));
        float[] X = Data(x), Y = Data(y);
        Chunked(y.Length, (s, n) =>
        {
            TensorPrimitives.Multiply(X.AsSpan(s, n), scale, Y.AsSpan(s, n));
            if (shift != 0f) TensorPrimitives.Add(Y.AsSpan(s, n), shift, Y.AsSpan(s, n));
        });
    }

    public void Exp(Tensor x, Tensor y)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(2 * y.Length));
        float[] X = Data(x), Y = Data(y);
        Chunked(y.Length, (s, n) => TensorPrimitives.Exp(X.AsSpan(s, n), Y.AsSpan(s, n)));
    }

    public void Log(Tensor x, Tensor y)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(2 * y.Length));
        float[] X = Data(x), Y = Data(y);
        Chunked(y.Length, (s, n) => TensorPrimitives.Log(X.AsSpan(s, n), Y.AsSpan(s, n)));
    }

    public void Relu(Tensor x, Tensor y)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(2 * y.Length));
        float[] X = Data(x), Y = Data(y);
        Chunked(y.Length, (s, n) => TensorPrimitives.Max(X.AsSpan(s, n), 0f, Y.AsSpan(s, n)));
    }

    public void ReluBackward(Tensor y, Tensor dy, Tensor dx)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements(3 * dx.Length));
        float[] Yv = Data(y), DY = Data(dy), DX = Data(dx);
        Chunked(dx.Length, (s, n) => ReluMask(Yv.AsSpan(s, n), DY.AsSpan(s, n), DX.AsSpan(s, n)));
    }

    /// <summary>
    /// dx[i] = y[i] &gt; 0 ? dy[i] : 0 — the ReLU backward, shared with the fused BN+ReLU backward.
    /// Written with explicit vectors (compare, then select) because the scalar conditional does not
    /// vectorise and made this mask cost more than the batch-norm arithmetic around it.
    /// dx may alias dy.
    /// </summary>
    internal static void ReluMask(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int i = 0, n = dx.Length;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var yv = Vector512.Create(y.Slice(i, Vector512<float>.Count));
                var g = Vector512.Create(dy.Slice(i, Vector512<float>.Count));
                Vector512.ConditionalSelect(Vector512.GreaterThan(yv, Vector512<float>.Zero), g, Vector512<float>.Zero).CopyTo(dx.Slice(i));
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var yv = Vector256.Create(y.Slice(i, Vector256<float>.Count));
                var g = Vector256.Create(dy.Slice(i, Vector256<float>.Count));
                Vector256.ConditionalSelect(Vector256.GreaterThan(yv, Vector256<float>.Zero), g, Vector256<float>.Zero).CopyTo(dx.Slice(i));
            }
        for (; i < n; i++) dx[i] = y[i] > 0f ? dy[i] : 0f;
    }
}
