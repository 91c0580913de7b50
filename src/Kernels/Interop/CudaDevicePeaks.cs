using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Kernels.Interop;

/// <summary>
/// What a device allows, for comparing a kernel's achieved rate with:
/// DRAM bandwidth = 2 (double data rate) · memory clock · bus width / 8,
/// FP32 throughput = 2 (FMA) · SMs · FP32 lanes per SM · SM clock (lanes per SM by compute
/// capability: 64 on sm_70/75/80, 128 on sm_86 and later), and the dense tensor-core throughput
/// at TF32 and BF16 operands (fp32 accumulation) = SMs · FLOPs per SM per clock · SM clock, from
/// NVIDIA's A100 and H100 white papers: sm_80 1024 (TF32) and 2048 (BF16), sm_90 2048 and 4096
/// (e.g. 132 SMs · 4096 · 1.83 GHz = the H100 SXM's 989 dense BF16 TFLOP/s). The SM clock is the
/// one the driver reports (its maximum), so the peaks are upper bounds. Null where the driver does
/// not report a clock or the architecture is not in the table (sm_86/89 parts differ in their
/// tensor rate with fp32 accumulation, so none is guessed).
/// </summary>
public sealed record CudaDevicePeaks(double? MemoryGigabytesPerSecond, double? Fp32GigaflopsPerSecond,
    double? Tf32TensorGigaflopsPerSecond = null, double? Bf16TensorGigaflopsPerSecond = null)
{
    public static CudaDevicePeaks Query(int ordinal = 0)
    {
        CudaException.Check(CudaApi.cuInit(0));
        CudaException.Check(CudaApi.cuDeviceGet(out int d, ordinal));
        int? Attr(int a) => CudaApi.cuDeviceGetAttribute(out int v, a, d) == 0 && v > 0 ? v : null;
        int? memKhz = Attr(CudaApi.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE), busBits = Attr(CudaApi.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH);
        int? smKhz = Attr(CudaApi.CU_DEVICE_ATTRIBUTE_CLOCK_RATE), sms = Attr(CudaApi.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        int? major = Attr(CudaApi.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        int minor = Attr(CudaApi.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR) ?? 0;
        double? memory = memKhz is int m && busBits is int b ? 2.0 * m * 1e3 * (b / 8.0) / 1e9 : null;
        double? fp32 = smKhz is int c && sms is int n && major is int mj && Fp32LanesPerSm(mj, minor) is int lanes
            ? 2.0 * n * lanes * c * 1e3 / 1e9 : null;
        double? Tensor(Precision p) => smKhz is int c && sms is int n && major is int mj && TensorFlopsPerSmPerClock(mj, minor, p) is int f
            ? (double)n * f * c * 1e3 / 1e9 : null;
        return new CudaDevicePeaks(memory, fp32, Tensor(Precision.Tf32), Tensor(Precision.Bf16));
    }

    /// <summary>The GFLOP/s peak of FLOPs at <paramref name="math"/>: the FP32 lanes' for fp32, the dense tensor cores' for tf32 / bf16 (null: unknown).</summary>
    public double? GigaflopsPerSecond(Precision math) => math switch
    {
        Precision.Tf32 => Tf32TensorGigaflopsPerSecond,
        Precision.Bf16 => Bf16TensorGigaflopsPerSecond,
        _ => Fp32GigaflopsPerSecond,
    };

    /// <summary>Dense tensor-core FLOPs per SM per clock at <paramref name="p"/> operands with fp32 accumulation (null: unknown or not a tensor precision).</summary>
    public static int? TensorFlopsPerSmPerClock(int major, int minor, Precision p) => (major, minor, p) switch
    {
        (8, 0, Precision.Tf32) => 1024,
        (8, 0, Precision.Bf16) => 2048,
        (9, 0, Precision.Tf32) => 2048,
        (9, 0, Precision.Bf16) => 4096,
        _ => null,
    };

    /// <summary>FP32 lanes per SM of compute capability major.minor (null: unknown).</summary>
    public static int? Fp32LanesPerSm(int major, int minor) => (major, minor) switch
    {
        (7, _) or (8, 0) => 64,
        (8, _) or (9, _) or (10, _) or (12, _) => 128,
        _ => null,
    };
}

internal static partial class CudaApi
{
    public const int CU_DEVICE_ATTRIBUTE_CLOCK_RATE = 13;
    public const int CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE = 36;
    public const int CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH = 37;
}
