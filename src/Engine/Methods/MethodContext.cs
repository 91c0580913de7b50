using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Methods;

/// <summary>
/// What a method's factory builds from: the encoder (already initialised), the stream its heads
/// draw their initial weights from (the run's init stream, continued after the encoder), the
/// backend, the number of training samples (NPID's bank rows), the samples per batch (queue
/// sizes), the side of the training images (multi-crop sizes), the run's seed (the method's own
/// random streams) and the values of its options; <see cref="NumClasses"/> for methods that
/// train on labels.
/// </summary>
public sealed record MethodContext(Encoder Encoder, RandomStream InitStream, IBackend Backend, int DataSize, int BatchSize, int ImageSize,
                                   ulong Seed, MethodOptionValues Options)
{
    /// <summary>Classes of the training set, 0 when it carries no labels (supervised methods refuse to build then).</summary>
    public int NumClasses { get; init; }
}
