using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Autograd;

/// <summary>
/// Reverse-mode autodiff as a tape: every differentiable op that sees an input with
/// <see cref="Tensor.RequiresGrad"/> appends one entry (its output and a closure that,
/// given ∂L/∂output, adds ∂L/∂input into each input's <see cref="Tensor.Grad"/>).
/// Ops are recorded in execution order, which is a topological order, so
/// <see cref="Backward(Tensor)"/> simply walks the tape from the end. One tape per thread; it is
/// cleared by Backward and by <see cref="Clear"/>. An output may also be a <see cref="Bf16Tensor"/>
/// (an activation stored in bf16, see <see cref="ConvInput"/>); gradients are fp32 Tensors always.
/// </summary>
public static class Tape
{
    private readonly record struct Entry(ITapeOutput Output, Action<Tensor> Backward, string Op);

    [ThreadStatic] private static List<Entry>? entries;
    [ThreadStatic] private static int noGradDepth;

    private static List<Entry> Entries => entries ??= new List<Entry>();

    /// <summary>False inside <see cref="NoGrad"/>: ops then record nothing.</summary>
    public static bool IsRecording => noGradDepth == 0;

    /// <summary>Number of recorded entries (for tests and diagnostics).</summary>
    public static int Count => Entries.Count;

    /// <summary>Disables recording until the handle is disposed (evaluation, EMA, bank updates).</summary>
    public static IDisposable NoGrad() => new NoGradHandle();

    /// <summary>True when an op with these inputs must be recorded.</summary>
    public static bool NeedsGrad(Tensor a) => IsRecording && a.RequiresGrad;

    public static bool NeedsGrad(Tensor a, Tensor b) => IsRecording && (a.RequiresGrad || b.RequiresGrad);

    public static bool NeedsGrad(params ReadOnlySpan<Tensor?> inputs)
    {
        if (!IsRecording) return false;
        foreach (var t in inputs) if (t is not null && t.RequiresGrad) return true;
        return false;
    }

    /// <summary>Marks <paramref name="output"/> as part of the graph and appends its backward closure.</summary>
    public static void Record(string op, Tensor output, Action<Tensor> backward)
    {
        output.RequiresGrad = true;
        Entries.Add(new Entry(output, backward, op));
    }

    /// <summary>As <see cref="Record(string, Tensor, Action{Tensor})"/> for an output stored in bf16 (its gradient is fp32).</summary>
    public static void Record(string op, Bf16Tensor output, Action<Tensor> backward)
    {
        output.RequiresGrad = true;
        Entries.Add(new Entry(output, backward, op));
    }

    /// <summary>
    /// Adds a contribution to <paramref name="target"/>'s gradient. The contribution is
    /// copied when it becomes the first gradient, so closures may pass tensors they still
    /// use (or that alias another gradient). Ignored when the target needs no gradient.
    /// </summary>
    public static void Accumulate(Tensor target, Tensor contribution)
    {
        if (!target.RequiresGrad) return;
        ShapeUtil.RequireSame("gradient accumulation into " + target, target, contribution);
        if (target.TakePendingZeroGrad()) target.Backend.Copy(contribution, target.Grad!);
        else if (target.Grad is null) target.Grad = contribution.Clone();
        else target.Backend.Axpby(1f, contribution, 1f, target.Grad);
    }

    /// <summary>
    /// Like <see cref="Accumulate"/> but hands over a freshly made contribution that the
    /// caller will not touch again, saving one copy when it is the first gradient.
    /// </summary>
    public static void AccumulateOwned(Tensor target, Tensor contribution)
    {
        if (!target.RequiresGrad || target.IsGradMemory(contribution)) return;   // written in place (NewContribution)
        ShapeUtil.RequireSame("gradient accumulation into " + target, target, contribution);
        if (target.TakePendingZeroGrad()) target.Backend.Copy(contribution, target.Grad!);   // the gradient's own memory: optimiser tables point at it
        else if (target.Grad is null) target.Grad = contribution;
        else target.Backend.Axpby(1f, contribution, 1f, target.Grad);
    }

    /// <summary>
    /// Where a backward writes its contribution to <paramref name="target"/>'s gradient before handing it to
    /// <see cref="AccumulateOwned(Tensor, Tensor)"/>: the gradient's own memory when it is a pending zero
    /// (<see cref="Tensor.ZeroGrad"/>; a parameter's, from its second step on), so that a primitive that
    /// overwrites its output does the whole accumulation and no copy follows — else a new tensor shaped like
    /// the target. Only for primitives that overwrite every element of what they are given.
    /// </summary>
    public static Tensor NewContribution(Tensor target) =>
        target.RequiresGrad && target.TakePendingZeroGrad() ? target.Grad! : target.EmptyLike();

    /// <summary>As <see cref="AccumulateOwned(Tensor, Tensor)"/> into a bf16-stored activation's fp32 gradient.</summary>
    public static void AccumulateOwned(Bf16Tensor target, Tensor contribution)
    {
        if (!target.RequiresGrad) return;
        if (!target.Shape.SequenceEqual(contribution.Shape))
            throw new ArgumentException($"gradient accumulation into {target}: contribution {ShapeUtil.Format(contribution.Shape)} has another shape.");
        if (target.Grad is null) target.Grad = contribution;
        else target.Backend.Axpby(1f, contribution, 1f, target.Grad);
    }

    /// <summary>
    /// Back-propagates from a scalar <paramref name="loss"/> (seed ∂L/∂L = 1) through the
    /// whole tape, then clears it. Parameter gradients accumulate (zero them per step).
    /// </summary>
    public static void Backward(Tensor loss)
    {
        if (loss.Length != 1) throw new InvalidOperationException($"Backward needs a scalar loss, got shape {ShapeUtil.Format(loss.Shape)}.");
        if (!loss.RequiresGrad) throw new InvalidOperationException("Backward: the loss does not depend on anything that requires a gradient.");
        AccumulateOwned(loss, Tensor.Full(loss.Backend, 1f, loss.Shape));
        Backward();
    }

    /// <summary>Back-propagates gradients already seeded on tape outputs (e.g. several losses), then clears the tape.</summary>
    public static void Backward()
    {
        var list = Entries;
        try
        {
            for (int i = list.Count - 1; i >= 0; i--)
            {
                var e = list[i];
                if (e.Output.IsDisposed) continue;
                var grad = e.Output.Grad;
                if (grad is not null) e.Backward(grad);
            }
        }
        finally
        {
            list.Clear();
        }
    }

    /// <summary>Forgets the recorded graph without back-propagating.</summary>
    public static void Clear() => Entries.Clear();

    private sealed class NoGradHandle : IDisposable
    {
        private bool done;
        public NoGradHandle() => noGradDepth++;
        public void Dispose()
        {
            if (done) return;
            done = true;
            noGradDepth--;
        }
    }
}
