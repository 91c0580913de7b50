using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Training.Evaluation;

/// <summary>
/// The kNN monitor's bank with <c>--knn-bank views</c> (solo-learn's online kNN): row i holds the
/// L2-normalised encoder features of training image i's first view as the training step computed them,
/// so a monitor encodes only the test split instead of the whole training set again. The protocol
/// differs from NPID's (<c>--knn-bank images</c>, the default): the bank rows are features of augmented
/// views, taken by the weights of their step over the epoch rather than by the final weights.
/// <para>
/// Watched like the <see cref="OnlineProbe"/> (<see cref="FirstOutputWatch"/>): <see cref="BeginStep"/> keeps the
/// encoder's first output of the step, whose first B rows are view 0; <see cref="Record"/>, after the backward pass, writes those rows at
/// the batch's image indices with the memory-bank primitive at momentum 0 (bank[i] ← f / ‖f‖₂), on the
/// device and inside the step (a captured graph records it too). The host keeps which rows were written
/// since the last <see cref="TakeWrittenRows"/>: over an epoch that is every image the loader served, each
/// with its latest view.
/// </para>
/// </summary>
public sealed class ViewFeatureBank : IDisposable
{
    private readonly FirstOutputWatch watch;
    private readonly bool[] written;

    public ViewFeatureBank(Encoder encoder, int imageCount, IBackend backend)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageCount, 1);
        watch = new FirstOutputWatch(encoder);
        // Zeros, not uninitialised memory: the update reads the old row (times momentum 0), and 0·NaN is NaN.
        Rows = Tensor.Zeros(backend, imageCount, encoder.FeatureDim);
        written = new bool[imageCount];
    }

    /// <summary>The bank [images, features]; only rows written since the last <see cref="TakeWrittenRows"/> are current.</summary>
    public Tensor Rows { get; }

    /// <summary>Starts watching the encoder: its first output from now on is kept for <see cref="Record"/>.</summary>
    public void BeginStep() => watch.Begin();

    /// <summary>Stops watching the encoder (also on failure); <see cref="Record"/> calls it.</summary>
    public void StopWatching() => watch.Stop();

    /// <summary>
    /// Writes the kept features of view 0 (the first <paramref name="indices"/>.Length rows) at the images'
    /// <paramref name="indices"/>; false when no features of the expected shape were seen. Call after the
    /// method's backward pass, inside the step's scope.
    /// </summary>
    public bool Record(int[] indices)
    {
        int d = Rows.Dim(1);
        if (watch.Take(indices.Length) is not { } features) return false;
        foreach (int i in indices)
            if ((uint)i >= (uint)written.Length) throw new ArgumentOutOfRangeException(nameof(indices), $"ViewFeatureBank: image index {i} outside the {written.Length} training images.");
        using (Tape.NoGrad())
        {
            // The primitive reads the first b rows of the features: view 0 of the batch, in order.
            var rows = Ops.Detach(features).View(features.Dim(0), d);
            Rows.Backend.MomentumUpdateRows(Rows, IntTensor.FromArray(Rows.Backend, indices), rows, 0f, d);
        }
        foreach (int i in indices) written[i] = true;
        return true;
    }

    /// <summary>The rows written since the last call, ascending; the next call starts from none.</summary>
    public int[] TakeWrittenRows()
    {
        var rows = new List<int>();
        for (int i = 0; i < written.Length; i++)
            if (written[i]) rows.Add(i);
        Array.Clear(written);
        return rows.ToArray();
    }

    public void Dispose()
    {
        StopWatching();
        Rows.Dispose();
    }
}
