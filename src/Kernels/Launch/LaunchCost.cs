using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Kernels.Launch;

/// <summary>
/// What one launch (or one cpu primitive call) is declared to cost, for the profile's GB/s and
/// GFLOP/s columns. <see cref="Bytes"/> is the traffic to device memory the work cannot avoid:
/// every element read once plus every element written once (a copy of n floats moves 8n bytes;
/// an in-place update that reads and writes w counts w twice). <see cref="Flops"/> counts a
/// multiply-add as two. Both are the launcher's declaration, not a measurement: caches can make
/// the real traffic lower, uncoalesced access higher. <see cref="None"/> (0, 0) means "not
/// declared" and leaves the columns empty. <see cref="Math"/> says what the FLOPs run on, so that
/// the profile compares their rate with the right peak: <see cref="Precision.Fp32"/> the FP32
/// (CUDA-core) lanes, <see cref="Precision.Tf32"/> / <see cref="Precision.Bf16"/> the dense
/// tensor-core rate at that operand type.
/// </summary>
public readonly record struct LaunchCost(long Bytes, double Flops = 0, Precision Math = Precision.Fp32)
{
    public static LaunchCost None => default;

    /// <summary><paramref name="count"/> 4-byte elements (float32 or int32) read or written in all.</summary>
    public static LaunchCost Elements(long count, double flops = 0) => new(4 * count, flops);

    /// <summary>
    /// C[m,n] = α·A[m,k]·B[k,n] + β·C: A, B and C read once (C only when β ≠ 0), C written once;
    /// 2·m·n·k FLOPs.
    /// </summary>
    public static LaunchCost Gemm(long m, long n, long k, bool readsC) =>
        new(4 * (m * k + k * n + (readsC ? 2 : 1) * m * n), 2.0 * m * n * k);

    /// <summary>The cost of <paramref name="count"/> such pieces of work (a batched GEMM).</summary>
    public LaunchCost Times(long count) => new(Bytes * count, Flops * count, Math);

    /// <summary>Both costs together; the FLOPs must run on the same unit (a sum across units has no one peak).</summary>
    public static LaunchCost operator +(LaunchCost a, LaunchCost b)
    {
        if (a.Math != b.Math && a.Flops > 0 && b.Flops > 0)
            throw new ArgumentException($"LaunchCost: cannot add {a.Math} FLOPs to {b.Math} FLOPs.");
        return new(a.Bytes + b.Bytes, a.Flops + b.Flops, a.Flops > 0 ? a.Math : b.Math);
    }
}
