using System.Numerics.Tensors;
using NativeContrastive.Engine.Tensors;

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
        using var profile = CpuProfile.Time("add");
        float[] A = Data(a), B = Data(b), Y = Data(y);
        Chunked(y.Length, (s, n) => TensorPrimitives.Add(A.AsSpan(s, n), B.AsSpan(s, n), Y.AsSpan(s, n)));
    }

    public void Mul(Tensor a, Tensor b, Tensor y)
    {
        using var profile = CpuProfile.Time("mul");
        float[] A = Data(a), B = Data(b), Y = Data(y);
        Chunked(y.Length, (s, n) => TensorPrimitives.Multiply(A.AsSpan(s, n), B.AsSpan(s, n), Y.AsSpan(s, n)));
    }

    public void Axpby(float alpha, Tensor x, float beta, Tensor y)
    {
        using var profile = CpuProfile.Time("axpby (grad accumulate)");
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
        using var profile = CpuProfile.Time("affine");
        float[] X = Data(x), Y = Data(y);
        Chunked(y.Length, (s, n) =>
        {
            TensorPrimitives.Multiply(X.AsSpan(s, n), scale, Y.AsSpan(s, n));
            if (shift != 0f) TensorPrimitives.Add(Y.AsSpan(s, n), shift, Y.AsSpan(s, n));
        });
    }

    public void Exp(Tensor x, Tensor y)
    {
        float[] X = Data(x), Y = Data(y);
        Chunked(y.Length, (s, n) => TensorPrimitives.Exp(X.AsSpan(s, n), Y.AsSpan(s, n)));
    }

    public void Log(Tensor x, Tensor y)
    {
        float[] X = Data(x), Y = Data(y);
        Chunked(y.Length, (s, n) => TensorPrimitives.Log(X.AsSpan(s, n), Y.AsSpan(s, n)));
    }

    public void Relu(Tensor x, Tensor y)
    {
        using var profile = CpuProfile.Time("relu fwd");
        float[] X = Data(x), Y = Data(y);
        Chunked(y.Length, (s, n) => TensorPrimitives.Max(X.AsSpan(s, n), 0f, Y.AsSpan(s, n)));
    }

    public void ReluBackward(Tensor y, Tensor dy, Tensor dx)
    {
        using var profile = CpuProfile.Time("relu bwd");
        float[] Yv = Data(y), DY = Data(dy), DX = Data(dx);
        Chunked(dx.Length, (s, n) =>
        {
            for (int i = s; i < s + n; i++) DX[i] = Yv[i] > 0f ? DY[i] : 0f;
        });
    }
}
