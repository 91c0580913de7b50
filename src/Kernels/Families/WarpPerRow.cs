using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>Launch shape shared by the warp-per-row kernels: 8 warps (rows) per 256-thread block.</summary>
internal static class WarpPerRow
{
    public const int Threads = 256, RowsPerBlock = Threads / 32;

    public static uint Grid(int rows) => (uint)((rows + RowsPerBlock - 1) / RowsPerBlock);
}
