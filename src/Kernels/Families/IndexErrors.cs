using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>
/// The error record of the kernels that take indices (gather, scatter-add, per-row picks): a
/// device buffer of 4 ints {code, position, value, limit}, all zero while nothing went wrong.
/// A kernel that meets an index outside [0, limit) skips it and records the first such
/// (nc_report_bad_index in nc_cuda.cuh); the host reads the record after a synchronisation
/// (<see cref="TakeReport"/>) and raises it. Launchers accept a null buffer (no reporting).
/// </summary>
public static class IndexErrors
{
    /// <summary>Ints in the record.</summary>
    public const int Length = 4;

    /// <summary>Kernel codes, as written by the kernels (index.cu: 1, 2, 5; softmax.cu: 3, 4; contrastive.cu: 6, 7; knn.cu: 8, 9).</summary>
    public static string KernelOf(int code) => code switch
    {
        1 => "gather_rows_forward_kernel",
        2 => "scatter_add_rows_forward_kernel",
        3 => "pick_per_row_forward_kernel",
        4 => "pick_per_row_backward_kernel",
        5 => "momentum_update_rows_forward_kernel",
        6 => "info_nce_forward_kernel",
        7 => "info_nce_backward_kernel",
        8 => "knn_vote_forward_kernel (neighbour index)",
        9 => "knn_vote_forward_kernel (label)",
        _ => $"kernel code {code}",
    };

    public static ulong Pointer(DeviceBuffer? errors)
    {
        if (errors is null) return 0;
        if (errors.Bytes < Length * sizeof(int)) throw new ArgumentException($"An index error record needs {Length} ints, the buffer has {errors.Bytes} bytes.", nameof(errors));
        return errors.Ptr;
    }

    /// <summary>A zeroed record on <paramref name="driver"/>.</summary>
    public static DeviceBuffer Allocate(IKernelDriver driver)
    {
        var b = DeviceBuffer.Allocate<int>(driver, Length);
        b.Fill(0);
        return b;
    }

    /// <summary>
    /// Reads the record (the caller has synchronised: copies to the host do) and, when a kernel
    /// reported, clears it and returns (code, position, value, limit); null when nothing was reported.
    /// </summary>
    public static (int Code, int Position, int Value, int Limit)? TakeReport(DeviceBuffer errors)
    {
        Span<int> r = stackalloc int[Length];
        errors.Download(r);
        if (r[0] == 0) return null;
        errors.Fill(0);
        return (r[0], r[1], r[2], r[3]);
    }
}
