namespace NativeContrastive.Kernels.Families;

/// <summary>
/// Geometry of a 2-D convolution for the conv.cu launchers (mirrors the Engine's Conv2dGeometry):
/// input [N,C,H,W], weight [K,C,R,S], output [N,K,P,Q] with P = (H + 2·PadH − R)/StrideH + 1 and
/// Q = (W + 2·PadW − S)/StrideW + 1.
/// </summary>
public readonly record struct ConvShape(int N, int C, int H, int W, int K, int R, int S,
                                        int StrideH, int StrideW, int PadH, int PadW)
{
    public int P => (H + 2 * PadH - R) / StrideH + 1;
    public int Q => (W + 2 * PadW - S) / StrideW + 1;
    public long InputLength => (long)N * C * H * W;
    public long WeightLength => (long)K * C * R * S;
    public long OutputLength => (long)N * K * P * Q;

    /// <summary>Throws unless every size is ≥ 0, strides ≥ 1, padding ≥ 0, P, Q ≥ 0, and each tensor has &lt; 2³¹ elements (the kernels index in 32 bits).</summary>
    public void Validate()
    {
        if (N < 0 || C < 0 || H < 0 || W < 0 || K < 0 || R < 1 || S < 1 || StrideH < 1 || StrideW < 1 || PadH < 0 || PadW < 0)
            throw new ArgumentException($"Invalid convolution geometry {this}.");
        if (P < 0 || Q < 0) throw new ArgumentException($"Convolution geometry {this}: negative output size {P}×{Q}.");
        if (InputLength > int.MaxValue || WeightLength > int.MaxValue || OutputLength > int.MaxValue)
            throw new ArgumentException($"Convolution geometry {this}: a tensor has 2³¹ or more elements (the conv kernels index in 32 bits).");
    }
}
