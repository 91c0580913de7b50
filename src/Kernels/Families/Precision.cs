namespace NativeContrastive.Kernels.Families;

/// <summary>
/// The operand precision of convolutions (<c>--precision</c>). Every precision accumulates in
/// fp32 and keeps fp32 master weights, optimiser state, batch-norm statistics, losses, softmax,
/// Sinkhorn and linear layers (bf16 linear operands cost 0.74 kNN points on the README recipe, for
/// ~0.1% of a ResNet-18 step's FLOPs); only the two operands of each convolution's multiply are rounded:
/// <list type="bullet">
/// <item><see cref="Fp32"/>: no rounding (the SIMT kernels of conv.cu, the cpu reference).</item>
/// <item><see cref="Tf32"/>: operands rounded to TF32 (8-bit exponent, 10-bit mantissa, round to
/// nearest, ties away from zero, as cvt.rna.tf32.f32), multiplied on tensor cores. PyTorch's
/// default for convolutions on Ampere and later.</item>
/// <item><see cref="Bf16"/>: operands rounded to bfloat16 (8-bit exponent, 7-bit mantissa, round to
/// nearest even), multiplied on tensor cores; a convolution's output that batch norm reads is
/// stored as bf16 too (Ops.Conv2dBatchNorm; not in an eval-mode pass that needs gradients), as
/// PyTorch's autocast stores it.</item>
/// </list>
/// cpu and emu give the same semantics as the GPU: the cpu reference rounds the operands and
/// runs its fp32 loops, emu runs the very tensor-core kernels with C++ stand-ins for the PTX.
/// </summary>
public enum Precision
{
    Fp32,
    Tf32,
    Bf16,
}
