using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Kernels.Families;

/// <summary>
/// Launcher of kernels-cu/augment.cu: one block of 256 threads per view. Dynamic shared memory
/// holds the view's resampling filters, later the rows or columns the blur is working on; its
/// size follows from the image and output sizes (<see cref="SharedBytes"/>) and must stay within
/// the 48 KiB a block gets without opting in.
/// </summary>
public sealed class AugmentKernels(IKernelDriver driver) : KernelFamily(driver, "augment")
{
    public const int Threads = 256;

    /// <summary>Dynamic shared memory a block may use (48 KiB less the kernel's static 388 bytes, rounded).</summary>
    public const int MaxDynamicSharedBytes = 48 * 1024 - 512;

    /// <summary>Lines (rows, then columns) the blur stages in shared memory at a time, at most.</summary>
    public const int MaxBlurLines = 32;

    /// <summary>Reported shape: an STL-sized view (96×96 image → 96×96, 9-tap blur).</summary>
    public static IReadOnlyDictionary<string, LaunchShape> Shapes { get; } = new Dictionary<string, LaunchShape>
    {
        ["augment_forward_kernel"] = new(Threads, SharedBytes(96, 96, 96, 9)),
    };

    /// <summary>
    /// Taps per output of the resampling filter in the worst case: a crop as large as the
    /// image, 2·ceil(max(len/S, 1)) + 1 (AxisFilter's count for the widest span).
    /// </summary>
    public static int MaxTaps(int height, int width, int size) =>
        (int)Math.Ceiling(Math.Max((double)Math.Max(height, width) / size, 1.0)) * 2 + 1;

    /// <summary>Lines the blur stages at a time for output side <paramref name="size"/> (0: does not fit).</summary>
    public static int BlurLines(int size, int blurTaps) =>
        Math.Min(MaxBlurLines, (MaxDynamicSharedBytes / sizeof(float) - blurTaps) / (size + 1));

    /// <summary>Dynamic shared bytes of one block: max(filters 2·S·taps floats + 4·S ints, blur taps + lines·(S+1) floats).</summary>
    public static int SharedBytes(int height, int width, int size, int blurTaps)
    {
        long filters = (2L * size * MaxTaps(height, width, size) + 4L * size) * sizeof(float);
        long blur = blurTaps > 1 ? (blurTaps + (long)Math.Max(BlurLines(size, blurTaps), 1) * (size + 1)) * sizeof(float) : 0;
        return (int)Math.Min(Math.Max(filters, blur), int.MaxValue);
    }

    /// <summary>
    /// output[b] (C×S×S floats, S = <paramref name="size"/>) ← the view that views[b] describes of
    /// the uint8 images [imageCount, C, H, W]: crop + antialiased bilinear resize + flip, ×1/255,
    /// colour jitter in the drawn order, grayscale, Gaussian blur of <paramref name="blurTaps"/>
    /// taps where a view asks for it (odd; ≤ 1: none), then the per-channel normalisation —
    /// as Augmenter.Apply in C#. <paramref name="views"/> holds <paramref name="viewCount"/>
    /// <see cref="AugmentView"/> records on the device whose samples and crop boxes are valid for
    /// the images (the caller checks them on the host; a kernel cannot report a bad one).
    /// </summary>
    public void AugmentViews(DeviceBuffer images, int imageCount, int channels, int height, int width,
                             DeviceBuffer views, int viewCount, int size, int blurTaps, DeviceBuffer output)
    {
        if (channels < 1 || channels > AugmentView.MaxChannels)
            throw new ArgumentOutOfRangeException(nameof(channels), $"augment: images of 1..{AugmentView.MaxChannels} channels, got {channels}.");
        if (height <= 0 || width <= 0 || size <= 0 || imageCount < 0 || viewCount < 0)
            throw new ArgumentException($"augment: sizes must be positive, got {imageCount} images of {channels}×{height}×{width}, {viewCount} views of side {size}.");
        if (blurTaps > 1 && blurTaps % 2 == 0)
            throw new ArgumentOutOfRangeException(nameof(blurTaps), $"augment: the blur kernel side must be odd, got {blurTaps}.");
        int blurLines = blurTaps > 1 ? BlurLines(size, blurTaps) : 1;
        int shared = SharedBytes(height, width, size, blurTaps);
        if (blurLines < 1 || shared > MaxDynamicSharedBytes)
            throw new ArgumentException($"augment: a {height}×{width} image resized to {size}×{size} (blur {blurTaps} taps) needs {shared} bytes of shared memory per block, more than {MaxDynamicSharedBytes}.");
        Need(images, (long)imageCount * channels * height * width, nameof(images), elementSize: 1);
        Need(views, viewCount, nameof(views), elementSize: AugmentView.Size);
        Need(output, (long)viewCount * channels * size * size, nameof(output));
        if (viewCount == 0) return;
        Launch("augment_forward_kernel", (uint)viewCount, Threads,
            new KernelArgs().Ptr(images).I32(channels).I32(height).I32(width).Ptr(views).I32(viewCount).I32(size)
                .I32(MaxTaps(height, width, size)).I32(Math.Max(blurTaps, 0)).I32(blurLines).Ptr(output),
            new LaunchCost((long)viewCount * (channels * height * width + AugmentView.Size + 4L * channels * size * size)), (uint)shared);
    }
}
