namespace NativeContrastive.Kernels.Compile;

/// <summary>Theoretical occupancy of one kernel at one launch shape.</summary>
public sealed record OccupancyResult(int BlocksPerSm, int ActiveWarps, int MaxWarps, string Limiter)
{
    /// <summary>Active warps / maximum warps per SM, in [0, 1].</summary>
    public double Fraction => (double)ActiveWarps / MaxWarps;
}

/// <summary>
/// Theoretical occupancy from a kernel's registers and shared memory, as the CUDA occupancy
/// calculator computes it for sm_80 and sm_90 (both: 64 warps, 65536 registers, 32 blocks per SM):
/// <code>
/// warps        = ⌈threads / 32⌉
/// regs/warp    = ⌈registers · 32 / 256⌉ · 256           (registers are allocated per warp in units of 256)
/// by warps     = ⌊64 / warps⌋
/// by registers = ⌊⌊65536 / regs/warp⌋ / warps⌋            (no limit when registers = 0)
/// smem/block   = ⌈(static + dynamic + 1024) / 128⌉ · 128  (1 KB per block is reserved by the system on sm_80+)
/// by smem      = ⌊smem per SM / smem/block⌋               (smem per SM: 164 KB on sm_80, 228 KB on sm_90)
/// blocks       = min(32, by warps, by registers, by smem);  occupancy = blocks · warps / 64
/// </code>
/// Other compute capabilities use the sm_80 limits except shared memory (100 KB for 8.6/8.9).
/// </summary>
public static class Occupancy
{
    public const int MaxWarpsPerSm = 64, RegistersPerSm = 65536, RegisterAllocationUnit = 256, MaxBlocksPerSm = 32;
    public const int ReservedSharedPerBlock = 1024, SharedAllocationUnit = 128;

    public static int SharedMemoryPerSm(GpuArch arch) => arch switch
    {
        { Major: 9 } => 228 * 1024,
        { Major: 8, Minor: 0 } => 164 * 1024,
        { Major: 8 } => 100 * 1024,
        _ => 164 * 1024,
    };

    public static OccupancyResult Theoretical(GpuArch arch, int registersPerThread, int staticShared, int dynamicShared, int threadsPerBlock)
    {
        if (threadsPerBlock is <= 0 or > 1024) throw new ArgumentOutOfRangeException(nameof(threadsPerBlock), "1..1024 threads per block");
        int warps = (threadsPerBlock + 31) / 32;
        var limits = new List<(int Blocks, string Name)> { (MaxBlocksPerSm, "blocks"), (MaxWarpsPerSm / warps, "warps") };
        if (registersPerThread > 0)
        {
            int regsPerWarp = (registersPerThread * 32 + RegisterAllocationUnit - 1) / RegisterAllocationUnit * RegisterAllocationUnit;
            limits.Add((RegistersPerSm / regsPerWarp / warps, "registers"));
        }
        int smemPerBlock = (staticShared + dynamicShared + ReservedSharedPerBlock + SharedAllocationUnit - 1) / SharedAllocationUnit * SharedAllocationUnit;
        limits.Add((SharedMemoryPerSm(arch) / smemPerBlock, "shared memory"));
        var min = limits.MinBy(l => l.Blocks);
        return new OccupancyResult(min.Blocks, min.Blocks * warps, MaxWarpsPerSm, min.Name);
    }
}
