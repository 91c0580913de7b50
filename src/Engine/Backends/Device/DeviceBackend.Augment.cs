using System.Runtime.InteropServices;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// Augmentation: kernels-cu/augment.cu. The host checks the call and packs one
/// <see cref="AugmentView"/> record per view (<see cref="AugmentViewRecords"/>); the records go up
/// in a pooled buffer (returned at once: the one stream orders its next user after the kernel)
/// and one launch makes every view from the resident uint8 images.
/// </summary>
public sealed partial class DeviceBackend
{
    public void AugmentViews(ByteTensor images, ReadOnlySpan<int> indices, ReadOnlySpan<AugmentationDraws> draws,
                             AugmentationConfig config, Tensor views)
    {
        var records = AugmentViewRecords.Pack(images, indices, draws, config, views);
        if (records.Length == 0) return;
        var bytes = MemoryMarshal.AsBytes(records.AsSpan());
        var buffer = Pool.Rent(bytes.Length);
        try
        {
            buffer.Upload<byte>(bytes);
            augment.AugmentViews(Buf(images), images.Dim(0), images.Dim(1), images.Dim(2), images.Dim(3),
                buffer, records.Length, config.OutputSize, AugmentViewRecords.BlurTaps(config), Buf(views));
        }
        finally
        {
            Pool.Return(buffer);
        }
    }
}
