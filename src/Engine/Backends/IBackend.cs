using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;

namespace NativeContrastive.Engine.Backends;

/// <summary>
/// A device's primitive kernels. Everything numerical in the engine ends in one of these
/// calls; autograd ops (Autograd/Ops) compose them and never touch memory directly. The
/// interface is split into one file per kernel family (IBackend.*.cs) and each family
/// maps to one kernels-cu/&lt;family&gt;.cu file on the cuda/emu devices.
///
/// Conventions for every primitive:
/// - all tensors are contiguous row-major float32 (IntTensor for indices);
/// - outputs are passed in, already allocated with the right length, and fully written
///   unless a method says it accumulates;
/// - shapes are validated by the op layer; a backend may assume them;
/// - calls are asynchronous on devices with streams: only CopyToHost synchronises.
/// </summary>
public partial interface IBackend
{
    /// <summary>"cpu", "cuda" or "emu".</summary>
    string Name { get; }

    /// <summary>
    /// True when primitives compute in host memory on the calling thread, are complete when they
    /// return and may be called from several threads at once (cpu): the data loader then makes
    /// the next batch's views on a helper thread while the current step runs. False for device
    /// backends, whose primitives queue work on one stream and are called from one thread.
    /// </summary>
    bool ComputesOnHost { get; }

    /// <summary>
    /// The operand precision of convolutions (<see cref="Kernels.Families.Precision"/>), a
    /// backend-wide math mode like PyTorch's allow_tf32 flags: set from <c>--precision</c> (or the
    /// device's default) through <see cref="Precisions.Use"/> — by <c>TrainingSession</c> before the first
    /// step (train, profile), by <c>InferenceModel</c> while loaded (embed, search, the library's Encoder) and
    /// around feature extraction (knn, eval, linear). Fp32 by default.
    /// </summary>
    Precision Precision { get; set; }
}
