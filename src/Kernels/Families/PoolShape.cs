namespace NativeContrastive.Kernels.Families;

/// <summary>
/// Geometry of a 2-D max-pool for the pool.cu launchers (mirrors the Engine's Pool2dGeometry):
/// [N,C,H,W] → [N,C,P,Q], a Kernel×Kernel window every Stride pixels, Pad pixels of −∞ around the
/// image, P = (H + 2·Pad − Kernel)/Stride + 1 and likewise Q.
/// </summary>
public readonly record struct PoolShape(int N, int C, int H, int W, int Kernel, int Stride, int Pad)
{
    public int P => (H + 2 * Pad - Kernel) / Stride + 1;
    public int Q => (W + 2 * Pad - Kernel) / Stride + 1;
    public long InputLength => (long)N * C * H * W;
    public long OutputLength => (long)N * C * P * Q;

    /// <summary>Throws unless sizes are ≥ 0, Kernel and Stride ≥ 1, Pad ≥ 0, P, Q ≥ 0 and both tensors have &lt; 2³¹ elements.</summary>
    public void Validate()
    {
        if (N < 0 || C < 0 || H < 0 || W < 0 || Kernel < 1 || Stride < 1 || Pad < 0)
            throw new ArgumentException($"Invalid pooling geometry {this}.");
        if (P < 0 || Q < 0) throw new ArgumentException($"Pooling geometry {this}: negative output size {P}×{Q}.");
        if (InputLength > int.MaxValue || OutputLength > int.MaxValue)
            throw new ArgumentException($"Pooling geometry {this}: a tensor has 2³¹ or more elements (the pool kernels index in 32 bits).");
    }
}
