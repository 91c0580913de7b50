using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NativeContrastive.Kernels.Families;

/// <summary>
/// One view for augment_forward_kernel (kernels-cu/augment.cu, struct nc_augment_view, same
/// layout): the image to read and every decision drawn for the view, already combined with its
/// configuration on the host. Disabled jitter steps are −1 in <see cref="Jitter"/>; the
/// normalisation is y = x·Scale[c] + Shift[c] for c &lt; <see cref="MaxChannels"/>.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct AugmentView
{
    public const int MaxChannels = 4;

    /// <summary>Jitter step ids (AugmentationDraws.JitterStep) and the "skipped" marker.</summary>
    public const int Brightness = 0, Contrast = 1, Saturation = 2, Hue = 3, NoStep = -1;

    public int Sample;
    public int CropTop, CropLeft, CropHeight, CropWidth;
    public int Flip;
    public JitterSteps Jitter;
    public float BrightnessFactor, ContrastFactor, SaturationFactor, HueShift;
    public int Grayscale;
    public int Blur;
    public float BlurSigma;
    public ChannelFloats Scale;
    public ChannelFloats Shift;

    /// <summary>Bytes per record, as sizeof(nc_augment_view) on the device.</summary>
    public static int Size => Unsafe.SizeOf<AugmentView>();

    [InlineArray(4)]
    public struct JitterSteps { private int first; }

    [InlineArray(MaxChannels)]
    public struct ChannelFloats { private float first; }
}
