using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Tensors;

/// <summary>
/// A dense, contiguous, row-major float32 tensor (NCHW for images) living on one backend.
/// There are no strided views: an op that needs another layout materialises it, which
/// keeps every kernel a plain loop over contiguous memory. <see cref="View"/> is the
/// one view (it shares storage). Autograd state sits here: <see cref="RequiresGrad"/>,
/// <see cref="Grad"/>; the recorded graph lives on the <see cref="Tape"/>.
/// </summary>
public sealed class Tensor : IDisposable, ITapeOutput
{
    private Storage? storage;

    private Tensor(Storage storage, int[] shape)
    {
        this.storage = storage;
        Shape = shape;
        Length = ShapeUtil.Count(shape);
        if (Length > storage.Length)
            throw new ArgumentException($"Shape [{string.Join(",", shape)}] needs {Length} elements, storage has {storage.Length}.");
        TensorScope.Register(this);
    }

    public int[] Shape { get; }

    public long Length { get; }

    public int Rank => Shape.Length;

    public IBackend Backend => Storage.Backend;

    /// <summary>The device memory. Throws once the tensor has been disposed, so use-after-free is loud.</summary>
    public Storage Storage => storage ?? throw new ObjectDisposedException(nameof(Tensor), "Tensor used after it was disposed (did it leave its TensorScope without Keep?).");

    public bool IsDisposed => storage is null;

    /// <summary>True when gradients flow into this tensor during <see cref="Autograd.Tape.Backward(Tensor)"/>.</summary>
    public bool RequiresGrad { get; set; }

    private Tensor? grad;
    private bool gradPendingZero;

    /// <summary>
    /// Accumulated gradient (same shape), or null before the first backward contribution. After
    /// <see cref="ZeroGrad"/> it is zero without having been written: the next backward pass's first
    /// contribution overwrites it (<see cref="Autograd.Tape"/>: one copy instead of a fill and an add, or
    /// none where the backward writes straight into it, <see cref="Autograd.Tape.NewContribution"/>), and
    /// reading it before then writes the zeros.
    /// </summary>
    public Tensor? Grad
    {
        get
        {
            if (gradPendingZero)
            {
                grad!.Backend.Fill(grad, 0f);
                gradPendingZero = false;
            }
            return grad;
        }
        set
        {
            grad = value;
            gradPendingZero = false;
        }
    }

    /// <summary>Sets the gradient (when there is one) to zero, lazily: see <see cref="Grad"/>.</summary>
    public void ZeroGrad() => gradPendingZero = grad is not null;

    /// <summary>
    /// For the tape: true when the gradient is a zero that <see cref="ZeroGrad"/> left unwritten, which the
    /// caller then overwrites with the first contribution (the pending zero is dropped).
    /// </summary>
    internal bool TakePendingZeroGrad()
    {
        if (!gradPendingZero) return false;
        gradPendingZero = false;
        return true;
    }

    /// <summary>For the tape: true when <paramref name="t"/> is this tensor's gradient memory (read without writing a pending zero).</summary>
    internal bool IsGradMemory(Tensor t) => ReferenceEquals(grad, t);

    /// <summary>True for trainable leaves made by <see cref="Parameter"/>; they own their gradient.</summary>
    public bool IsParameter { get; private set; }

    /// <summary>Optional name (parameters carry their checkpoint key here).</summary>
    public string? Name { get; set; }

    /// <summary>Size of dimension <paramref name="i"/>; negative indices count from the end.</summary>
    public int Dim(int i) => Shape[i < 0 ? Shape.Length + i : i];

    // ---- creation -------------------------------------------------------------------

    /// <summary>Uninitialised tensor (contents are whatever the pool held).</summary>
    public static Tensor Empty(IBackend backend, params int[] shape)
    {
        ShapeUtil.Validate(shape);
        return new Tensor(backend.Allocate(ShapeUtil.Count(shape), DType.Float32), (int[])shape.Clone());
    }

    public static Tensor Zeros(IBackend backend, params int[] shape) => Full(backend, 0f, shape);

    public static Tensor Full(IBackend backend, float value, params int[] shape)
    {
        var t = Empty(backend, shape);
        backend.Fill(t, value);
        return t;
    }

    public static Tensor FromArray(IBackend backend, ReadOnlySpan<float> data, params int[] shape)
    {
        ShapeUtil.RequireFromArrayCount(data.Length, shape, "values");
        var t = Empty(backend, shape);
        backend.CopyFromHost(data, t);
        return t;
    }

    /// <summary>
    /// A trainable leaf: requires grad, owns a zeroed gradient of its shape, and belongs to
    /// no scope (it lives as long as its module).
    /// </summary>
    public static Tensor Parameter(IBackend backend, string name, params int[] shape)
    {
        using var _ = TensorScope.Suspend();
        var p = Zeros(backend, shape);
        p.Name = name;
        p.IsParameter = true;
        p.RequiresGrad = true;
        p.Grad = Zeros(backend, shape);
        return p;
    }

    /// <summary>A same-shaped uninitialised tensor on the same backend.</summary>
    public Tensor EmptyLike() => Empty(Backend, Shape);

    public Tensor ZerosLike() => Zeros(Backend, Shape);

    /// <summary>A copy that shares nothing and records nothing.</summary>
    public Tensor Clone()
    {
        var c = EmptyLike();
        Backend.Copy(this, c);
        return c;
    }

    /// <summary>
    /// Same storage, new shape (one dimension may be -1). Not differentiable by itself:
    /// use <c>Ops.Reshape</c> inside a graph.
    /// </summary>
    public Tensor View(params int[] shape)
    {
        var resolved = ShapeUtil.Resolve(shape, Length);
        Storage.AddReference();
        return new Tensor(Storage, resolved);
    }

    // ---- host access ----------------------------------------------------------------

    public float[] ToArray()
    {
        var a = new float[Length];
        Backend.CopyToHost(this, a);
        return a;
    }

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (Length != 1) throw new InvalidOperationException($"Item() needs one element, tensor has shape [{string.Join(",", Shape)}].");
        Span<float> v = stackalloc float[1];
        Backend.CopyToHost(this, v);
        return v[0];
    }

    public override string ToString() => $"Tensor[{string.Join(",", Shape)}]{(Name is null ? "" : " " + Name)} on {(storage is null ? "(disposed)" : Backend.Name)}";

    public void Dispose()
    {
        var s = Interlocked.Exchange(ref storage, null);
        s?.Release();
        // A parameter's gradient is owned by the parameter; other gradients belong to the scope.
        if (IsParameter && grad is not null)
        {
            grad.Dispose();
            grad = null;
            gradPendingZero = false;
        }
    }
}
