// augment.cu — data augmentation of uint8 images resident on the device: each view of a batch
// is cropped and resized (antialiased bilinear), flipped, colour-jittered, made grey, blurred
// and normalised into float [B, C, S, S], so no float image crosses the bus.
//
// The C# reference is src/Engine/Data/Augmenter.cs (with Resampler, AxisFilter, ColorOps,
// GaussianBlur): this file follows it step by step, in its order of operations. Every random
// decision is drawn on the host (AugmentationDraws, Philox stream per (seed, epoch, sample,
// view)) and arrives here as one nc_augment_view per output view, so the same seed gives the
// same views on every device.
//
// Products are rounded before they are added (aug_mul = __fmul_rn, which the compiler never
// fuses into an FMA), because the C# reference never fuses a multiply-add. Where the order of
// operations is the same, a view is then bit-identical to the cpu's. Two places differ in the
// last bits: the mean grey level of the contrast step (a block reduction; C# sums with SIMD
// lanes) and the Gaussian blur weights (the GPU's expf is within 2 ulp, not correctly rounded).
//
// Launch configuration: AugmentKernels.cs (one block per view).
#include "nc_cuda.cuh"

#define NC_AUG_MAX_CHANNELS 4

// ITU-R 601-2 luma, as ColorOps (torchvision's rgb_to_grayscale).
#define NC_LUMA_R 0.2989f
#define NC_LUMA_G 0.587f
#define NC_LUMA_B 0.114f

// Colour steps of jitter[]: the step ids of AugmentationDraws.JitterOrder; disabled steps are -1.
#define NC_JITTER_BRIGHTNESS 0
#define NC_JITTER_CONTRAST 1
#define NC_JITTER_SATURATION 2
#define NC_JITTER_HUE 3

// One view to produce: the image and every decision drawn for it, combined with the view's
// configuration on the host (AugmentViewRecords.Pack). Same layout as AugmentView in AugmentKernels.cs.
struct nc_augment_view
{
    int sample;                                  // image index in the data set
    int crop_top, crop_left, crop_height, crop_width;
    int flip;                                    // 1: mirror horizontally
    int jitter[4];                               // colour steps in the drawn order, -1 = skipped
    float brightness, contrast, saturation, hue; // factors; hue: shift in turns
    int grayscale;                               // 1: every channel ← luma
    int blur;                                    // 1: Gaussian blur with blur_sigma
    float blur_sigma;
    float scale[NC_AUG_MAX_CHANNELS];            // normalisation y = x·scale[c] + shift[c],
    float shift[NC_AUG_MAX_CHANNELS];            // scale = 1/std, shift = −mean·scale
};

__device__ __forceinline__ float aug_mul(float a, float b) { return __fmul_rn(a, b); }

__device__ __forceinline__ float clamp01(float x) { return fminf(fmaxf(x, 0.f), 1.f); }

__device__ __forceinline__ float luma(float r, float g, float b)
{
    return aug_mul(NC_LUMA_R, r) + aug_mul(NC_LUMA_G, g) + aug_mul(NC_LUMA_B, b);
}

// ---- resampling (Resampler, AxisFilter) -------------------------------------------------------

// Weight of input j for an output centred at `center` (AxisFilter.Build, in double as there).
__device__ __forceinline__ double triangle(int j, double center, double support)
{
    double d = fabs(j + 0.5 - center) / support;
    return d < 1.0 ? 1.0 - d : 0.0;
}

// AxisFilter.Build for one output o of the span [start, start+len) resized to `out` samples:
// centre c = start + (o + ½)·len/out, support r = max(len/out, 1), taps j in
// [floor(c − r + ½), floor(c + r + ½)) clamped to the span (at most 2·ceil(r) + 1), weights
// max(0, 1 − |j + ½ − c|/r) normalised to sum 1, then rounded to float.
__device__ void build_axis_filter(int start, int len, int out, int o, int* first, int* count, float* weights)
{
    double scale = (double)len / out;
    double support = fmax(scale, 1.0);
    int taps = (int)ceil(support) * 2 + 1;
    double center = __dadd_rn((double)start, __dmul_rn(o + 0.5, scale));
    int lo = max((int)floor(center - support + 0.5), start);
    int hi = min((int)floor(center + support + 0.5), start + len);
    int n = min(hi - lo, taps);
    double total = 0.0;
    for (int t = 0; t < n; t++) total += triangle(lo + t, center, support);
    for (int t = 0; t < n; t++) weights[t] = (float)(triangle(lo + t, center, support) / total);
    *first = lo;
    *count = n;
}

// One output pixel of one channel plane, as Resampler.Resize: the horizontal pass (the column
// taps of each source row, a float per row) first, then the vertical pass over those rows,
// skipping zero row weights as there. The result is in pixel units, 0..255.
__device__ float resample(const unsigned char* __restrict__ plane, int width,
                          const float* row_w, int row_first, int row_count,
                          const float* col_w, int col_first, int col_count)
{
    float acc = 0.f;
    for (int t = 0; t < row_count; t++)
    {
        float wr = row_w[t];
        if (wr == 0.f) continue;
        const unsigned char* line = plane + (long long)(row_first + t) * width + col_first;
        float h = 0.f;
        for (int s = 0; s < col_count; s++) h = h + aug_mul(col_w[s], (float)line[s]);
        acc = aug_mul(h, wr) + acc;
    }
    return acc;
}

// ---- colour (ColorOps), on one pixel's channel values v[0..channels) in [0, 1] ----------------

// x ← clamp(f·x)
__device__ __forceinline__ void brightness(float* v, int channels, float f)
{
#pragma unroll
    for (int c = 0; c < NC_AUG_MAX_CHANNELS; c++)
        if (c < channels) v[c] = clamp01(aug_mul(v[c], f));
}

// x ← clamp(f·x + (1 − f)·m), m = the image's mean grey level (computed by the caller).
__device__ __forceinline__ void contrast(float* v, int channels, float f, float mean)
{
    float toward = aug_mul(1.f - f, mean);
#pragma unroll
    for (int c = 0; c < NC_AUG_MAX_CHANNELS; c++)
        if (c < channels) v[c] = clamp01(aug_mul(v[c], f) + toward);
}

// x ← clamp(f·x + (1 − f)·grey(x)); identity unless RGB.
__device__ __forceinline__ void saturation(float* v, int channels, float f)
{
    if (channels != 3) return;
    float y = aug_mul(1.f - f, luma(v[0], v[1], v[2]));
#pragma unroll
    for (int c = 0; c < 3; c++) v[c] = clamp01(aug_mul(f, v[c]) + y);
}

// Hue rotation by `shift` turns through HSV (ColorOps.Hue); grey pixels and non-RGB unchanged.
__device__ void hue(float* v, int channels, float shift)
{
    if (channels != 3) return;
    float r = v[0], g = v[1], b = v[2];
    float mx = fmaxf(r, fmaxf(g, b)), mn = fminf(r, fminf(g, b));
    float chroma = mx - mn;
    if (chroma <= 0.f) return;
    float s = chroma / mx;
    float h = mx == r ? (g - b) / chroma : mx == g ? 2.f + (b - r) / chroma : 4.f + (r - g) / chroma;
    h = h / 6.f + shift;
    h -= floorf(h);
    float h6 = aug_mul(h, 6.f);
    int sector = min((int)h6, 5);
    float frac = h6 - (float)sector;
    float p = aug_mul(mx, 1.f - s), q = aug_mul(mx, 1.f - aug_mul(s, frac)), t = aug_mul(mx, 1.f - aug_mul(s, 1.f - frac));
    switch (sector)
    {
        case 0: v[0] = mx; v[1] = t; v[2] = p; break;
        case 1: v[0] = q; v[1] = mx; v[2] = p; break;
        case 2: v[0] = p; v[1] = mx; v[2] = t; break;
        case 3: v[0] = p; v[1] = q; v[2] = mx; break;
        case 4: v[0] = t; v[1] = p; v[2] = mx; break;
        default: v[0] = mx; v[1] = p; v[2] = q; break;
    }
}

// Every channel ← grey(x); identity unless RGB.
__device__ __forceinline__ void grayscale(float* v, int channels)
{
    if (channels != 3) return;
    float y = luma(v[0], v[1], v[2]);
    v[0] = y; v[1] = y; v[2] = y;
}

// The per-pixel jitter steps jitter[from..to) (contrast is never among them: it needs the mean).
__device__ void pixel_steps(float* v, int channels, const nc_augment_view& a, int from, int to)
{
    for (int k = from; k < to; k++)
        switch (a.jitter[k])
        {
            case NC_JITTER_BRIGHTNESS: brightness(v, channels, a.brightness); break;
            case NC_JITTER_SATURATION: saturation(v, channels, a.saturation); break;
            case NC_JITTER_HUE: hue(v, channels, a.hue); break;
            default: break;
        }
}

// ---- blur (GaussianBlur) ----------------------------------------------------------------------

// Reflect i into 0..n−1 without repeating the edge: −1 → 1, n → n−2.
__device__ __forceinline__ int reflect(int i, int n)
{
    if (n == 1) return 0;
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
    return i;
}

// ---- the kernel -------------------------------------------------------------------------------

// out[b, c, y, x] (b < count, S = size) = the view that views[b] describes of image
// images[views[b].sample] (N × C × H × W uint8), computed as Augmenter.Apply:
//   x = resample(crop, S×S, flip) / 255
//   jitter steps in the drawn order (brightness, contrast, saturation, hue as ColorOps)
//   grayscale; Gaussian blur (blur_taps taps, reflect padding); y = x·scale[c] + shift[c].
// One block per view; a thread owns pixels p = tid, tid + blockDim, … with all their channels,
// so the per-pixel steps need no barrier. Contrast needs the mean grey level after the steps
// before it: the pixels are written out, the block sums them, and a second pass finishes them.
// The blur works on groups of blur_lines rows (then columns) staged in shared memory.
// Dynamic shared memory: max(resampling filters 2·S·max_taps floats + 4·S ints,
//                            blur blur_taps + blur_lines·(S+1) floats).
extern "C" __global__ void augment_forward_kernel(const unsigned char* __restrict__ images, int channels, int height, int width,
                                                  const nc_augment_view* __restrict__ views, int count, int size,
                                                  int max_taps, int blur_taps, int blur_lines, float* __restrict__ out)
{
    NC_DYNAMIC_SMEM(float, smem);
    __shared__ float warp_sums[32][3];
    __shared__ float grey_mean;

    const int view = blockIdx.x;
    if (view >= count) return;
    const nc_augment_view& a = views[view];
    const int S = size, plane = S * S;
    const unsigned char* image = images + (long long)a.sample * channels * height * width;
    float* dst = out + (long long)view * channels * plane;

    // Resampling filters of this view's crop: columns (unflipped order) and rows.
    float* col_w = smem;
    float* row_w = col_w + S * max_taps;
    int* col_first = reinterpret_cast<int*>(row_w + S * max_taps);
    int* col_count = col_first + S;
    int* row_first = col_count + S;
    int* row_count = row_first + S;
    for (int i = threadIdx.x; i < 2 * S; i += blockDim.x)
    {
        if (i < S) build_axis_filter(a.crop_left, a.crop_width, S, i, &col_first[i], &col_count[i], col_w + i * max_taps);
        else build_axis_filter(a.crop_top, a.crop_height, S, i - S, &row_first[i - S], &row_count[i - S], row_w + (i - S) * max_taps);
    }
    __syncthreads();

    int contrast_at = 4;   // position of the contrast step in jitter[], 4 when it is not applied
    for (int k = 0; k < 4; k++)
        if (a.jitter[k] == NC_JITTER_CONTRAST) contrast_at = k;
    const bool blur = a.blur && blur_taps > 1;

    // Last per-pixel steps: the jitter steps after `from`, grayscale, and the normalisation
    // unless the blur (which needs neighbours) comes first.
    auto finish = [&](float* v, int from, int p) {
        pixel_steps(v, channels, a, from, 4);
        if (a.grayscale) grayscale(v, channels);
#pragma unroll
        for (int c = 0; c < NC_AUG_MAX_CHANNELS; c++)
            if (c < channels) dst[c * plane + p] = blur ? v[c] : aug_mul(v[c], a.scale[c]) + a.shift[c];
    };

    // Pass 1: resample, ×1/255, the jitter steps before contrast.
    float sums[3] = {0.f, 0.f, 0.f};
    for (int p = threadIdx.x; p < plane; p += blockDim.x)
    {
        int y = p / S, x = p % S;
        int cx = a.flip ? S - 1 - x : x;
        float v[NC_AUG_MAX_CHANNELS];
#pragma unroll
        for (int c = 0; c < NC_AUG_MAX_CHANNELS; c++)
            if (c < channels)
                v[c] = aug_mul(resample(image + (long long)c * height * width, width,
                                        row_w + y * max_taps, row_first[y], row_count[y],
                                        col_w + cx * max_taps, col_first[cx], col_count[cx]),
                               1.f / 255.f);
        pixel_steps(v, channels, a, 0, contrast_at);
        if (contrast_at == 4)
        {
            finish(v, 4, p);
            continue;
        }
#pragma unroll
        for (int c = 0; c < NC_AUG_MAX_CHANNELS; c++)
            if (c < channels) dst[c * plane + p] = v[c];
        sums[0] += v[0];
        if (channels == 3) { sums[1] += v[1]; sums[2] += v[2]; }
    }

    // Contrast: the mean grey level (ColorOps.Contrast: luma of the channel means for RGB, the
    // first plane's mean otherwise), then pass 2 finishes every pixel.
    if (contrast_at < 4)
    {
        const int lane = threadIdx.x % NC_WARP_SIZE, warp = threadIdx.x / NC_WARP_SIZE, warps = (blockDim.x + 31) / 32;
#pragma unroll
        for (int c = 0; c < 3; c++)
        {
            float s = nc_warp_sum(sums[c]);
            if (lane == 0) warp_sums[warp][c] = s;
        }
        __syncthreads();
        if (threadIdx.x == 0)
        {
            float total[3] = {0.f, 0.f, 0.f};
            for (int w = 0; w < warps; w++)
                for (int c = 0; c < 3; c++) total[c] += warp_sums[w][c];
            grey_mean = channels == 3 ? (aug_mul(NC_LUMA_R, total[0]) + aug_mul(NC_LUMA_G, total[1]) + aug_mul(NC_LUMA_B, total[2])) / plane
                                      : total[0] / plane;
        }
        __syncthreads();
        const float mean = grey_mean;
        for (int p = threadIdx.x; p < plane; p += blockDim.x)
        {
            float v[NC_AUG_MAX_CHANNELS];
#pragma unroll
            for (int c = 0; c < NC_AUG_MAX_CHANNELS; c++)
                if (c < channels) v[c] = dst[c * plane + p];
            contrast(v, channels, a.contrast, mean);
            finish(v, contrast_at + 1, p);
        }
    }
    if (!blur) return;

    // Blur (GaussianBlur.Apply): taps at x = −r..r with weights exp(−x²/2σ²) normalised to sum 1,
    // reflect padding; rows first (in place through the staged lines), then columns, whose
    // results are normalised on the way out. The filters in shared memory are dead by now.
    __syncthreads();
    const int r = blur_taps / 2, pitch = S + 1;   // +1: column loads hit different banks
    float* blur_w = smem;
    float* lines = smem + blur_taps;
    if (threadIdx.x == 0)
    {
        float sigma = a.blur_sigma, total = 0.f;
        for (int t = 0; t < blur_taps; t++)
        {
            float x = (float)(t - r);
            blur_w[t] = expf(-x * x / (2.f * sigma * sigma));
            total += blur_w[t];
        }
        for (int t = 0; t < blur_taps; t++) blur_w[t] /= total;
    }
    // Horizontal: line L = row L % S of plane L / S, i.e. dst[L·S .. L·S + S).
    for (int first = 0; first < channels * S; first += blur_lines)
    {
        int n = min(blur_lines, channels * S - first);
        for (int i = threadIdx.x; i < n * S; i += blockDim.x) lines[(i / S) * pitch + i % S] = dst[(long long)first * S + i];
        __syncthreads();
        for (int i = threadIdx.x; i < n * S; i += blockDim.x)
        {
            int l = i / S, x = i % S;
            float acc = 0.f;
            for (int t = 0; t < blur_taps; t++) acc = acc + aug_mul(blur_w[t], lines[l * pitch + reflect(x + t - r, S)]);
            dst[(long long)first * S + i] = acc;
        }
        __syncthreads();
    }
    // Vertical: columns x0 .. x0+n of each plane; consecutive threads take consecutive columns.
    for (int c = 0; c < channels; c++)
        for (int x0 = 0; x0 < S; x0 += blur_lines)
        {
            int n = min(blur_lines, S - x0);
            float* p = dst + (long long)c * plane;
            for (int i = threadIdx.x; i < n * S; i += blockDim.x) lines[(i % n) * pitch + i / n] = p[(i / n) * S + x0 + i % n];
            __syncthreads();
            for (int i = threadIdx.x; i < n * S; i += blockDim.x)
            {
                int l = i % n, y = i / n;
                float acc = 0.f;
                for (int t = 0; t < blur_taps; t++) acc = aug_mul(lines[l * pitch + reflect(y + t - r, S)], blur_w[t]) + acc;
                p[y * S + x0 + l] = aug_mul(acc, a.scale[c]) + a.shift[c];
            }
            __syncthreads();
        }
}

NC_EXPORT_KERNEL(augment_forward_kernel);
