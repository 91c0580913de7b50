using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>NPID's memory-bank update (IBackend.Index): kernels-cu/index.cu, one warp per entry, last duplicate wins.</summary>
public sealed partial class DeviceBackend
{
    public void MomentumUpdateRows(Tensor bank, IntTensor index, Tensor features, float momentum, int cols) =>
        this.index.MomentumUpdateRows(Buf(bank), Buf(index), Buf(features), momentum, (int)index.Length, cols, RowCount(bank, cols), indexErrors);
}
