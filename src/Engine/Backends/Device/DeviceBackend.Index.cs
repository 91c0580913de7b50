using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// Row gather, scatter-add and NPID's memory-bank update (one warp per entry, the last duplicate
/// wins): kernels-cu/index.cu. Indices are checked by the kernels (a bad one is skipped and raised
/// at the next copy to the host). Scatter-add accumulates with
/// atomics, so with repeated indices the order of the additions, and the last bits of a sum,
/// may differ from the cpu backend's source order.
/// </summary>
public sealed partial class DeviceBackend
{
    public void GatherRows(Tensor x, IntTensor index, Tensor y, int cols) =>
        this.index.GatherRows(Buf(x), Buf(index), Buf(y), (int)index.Length, cols, RowCount(x, cols), indexErrors);

    public void ScatterAddRows(Tensor x, IntTensor index, Tensor y, int cols) =>
        this.index.ScatterAddRows(Buf(x), Buf(index), Buf(y), (int)index.Length, cols, RowCount(y, cols), indexErrors);

    public void MomentumUpdateRows(Tensor bank, IntTensor index, Tensor features, float momentum, int cols) =>
        this.index.MomentumUpdateRows(Buf(bank), Buf(index), Buf(features), momentum, (int)index.Length, cols, RowCount(bank, cols), indexErrors);

    /// <summary>Rows of width <paramref name="cols"/> in t (as the cpu backend counts them).</summary>
    private static int RowCount(Tensor t, int cols) => cols == 0 ? int.MaxValue : (int)Math.Min(int.MaxValue, t.Length / cols);
}
