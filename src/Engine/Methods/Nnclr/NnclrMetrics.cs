using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Methods.Nnclr;

/// <summary>
/// The Keras NNCLR example's monitoring metrics (seed 003), computed on the backend from a step's
/// encoder features and gathered over an epoch (<see cref="NnclrMetrics"/> instance), plus the
/// support-set neighbour's label agreement. Each accuracy is correct / total over all rows of all
/// steps since the last <see cref="Take"/>, in percent:
/// <list type="bullet">
/// <item>contrastive_acc (update_contrastive_accuracy): with u = L2-normalised features of view 0
/// and view 1 of the batch, S = u₀u₁ᵀ [B, B]; row i of S is right when its arg-max is i (view 0
/// retrieves its own view 1 among the batch) and so is row i of Sᵀ (view 1 retrieves view 0): 2B rows.</item>
/// <item>correlation_acc (update_correlation_accuracy): with each feature standardised over the
/// batch, C = z₀ᵀz₁/B [F, F], the cross-correlation of feature i in view 0 with feature j in view 1;
/// row i of C is right when its arg-max is i (a feature is most correlated with itself across the
/// views), and likewise for Cᵀ: 2F rows. Computed as the cosine of the mean-centred feature columns
/// (the same arg-max: standardising only scales rows and columns by positive numbers). A feature
/// that is constant over the batch in either view (a dead ReLU unit) has no correlation and is
/// counted wrong in both directions (the example's division by a zero std gives NaN there; here
/// "constant" is a centred norm of 0 or below 1e-5·|mean|·√B, the rounding of the mean).</item>
/// <item>nn_label_acc: the share of labelled samples whose nearest neighbour in the support set,
/// the positive NNCLR trains with, carries the sample's own class (both views' neighbours; a
/// neighbour of unknown class — an initial random row — counts as a different class). Absent on
/// unlabeled data.</item>
/// </list>
/// Arg-max ties go to the lowest index (TopKRows), so the rows of an all-equal matrix count as
/// right only for index 0. A step's metrics stay on the device until <see cref="Drain"/> or <see cref="Take"/>.
/// </summary>
public sealed class NnclrMetrics
{
    public const string Contrastive = "contrastive_acc", Correlation = "correlation_acc", NeighbourLabel = "nn_label_acc";

    public static IReadOnlyList<string> Names { get; } = [Contrastive, Correlation, NeighbourLabel];

    private long contrastiveRight, contrastiveRows, correlationRight, correlationRows, labelRight, labelRows;
    private readonly List<QueuedStep> queued = [];

    /// <summary>
    /// Adds a step: features of view 0 and view 1 [B, F], the neighbours' labels [2B] (views 0 then 1), the
    /// batch's labels [B]. The arg-maxes are computed on the device and kept there until <see cref="Drain"/>
    /// (a step reads nothing back, so it never waits for the device and can be captured as a graph).
    /// </summary>
    public void Add(Tensor features0, Tensor features1, Tensor neighbourLabels, ReadOnlySpan<int> labels)
    {
        var contrastive = QueueContrastive(features0, features1);
        var correlation = QueueCorrelation(features0, features1);
        Tensor neighbours;
        using (TensorScope.Suspend()) neighbours = neighbourLabels.EmptyLike();
        neighbourLabels.Backend.Copy(neighbourLabels, neighbours);
        queued.Add(new QueuedStep(contrastive, correlation, neighbours, labels.ToArray()));
    }

    /// <summary>Reads and counts the queued steps (the training step calls it with its own read-back).</summary>
    public void Drain()
    {
        foreach (var q in queued)
        {
            contrastiveRight += Score(q.Contrastive);
            contrastiveRows += 2 * q.Labels.Length;
            correlationRight += Score(q.Correlation);
            correlationRows += 2 * q.Correlation.Features;
            var (l, ln) = LabelAgreement(q.NeighbourLabels.ToArray(), q.Labels);
            labelRight += l;
            labelRows += ln;
            q.Dispose();
        }
        queued.Clear();
    }

    /// <summary>The epoch's accuracies in percent (nn_label_acc only when labelled samples were seen); starts a new epoch.</summary>
    public IReadOnlyDictionary<string, double> Take()
    {
        Drain();
        var m = new Dictionary<string, double>();
        if (contrastiveRows > 0) m[Contrastive] = 100.0 * contrastiveRight / contrastiveRows;
        if (correlationRows > 0) m[Correlation] = 100.0 * correlationRight / correlationRows;
        if (labelRows > 0) m[NeighbourLabel] = 100.0 * labelRight / labelRows;
        contrastiveRight = contrastiveRows = correlationRight = correlationRows = labelRight = labelRows = 0;
        return m;
    }

    /// <summary>Frees what queued steps hold on the device.</summary>
    public void Clear()
    {
        foreach (var q in queued) q.Dispose();
        queued.Clear();
    }

    /// <summary>(right, rows) of the retrieval of each view's own other view in the batch, both directions (2B rows).</summary>
    public static (int Right, int Rows) ContrastiveAccuracy(Tensor features0, Tensor features1)
    {
        using var q = QueueContrastive(features0, features1);
        return (Score(q), 2 * features0.Dim(0));
    }

    /// <summary>(right, rows) of each feature's strongest cross-view correlation being itself, both directions (2F rows).</summary>
    public static (int Right, int Rows) CorrelationAccuracy(Tensor features0, Tensor features1)
    {
        using var q = QueueCorrelation(features0, features1);
        return (Score(q), 2 * q.Features);
    }

    /// <summary>(agreeing, labelled) over 2B neighbours: neighbour v·B + i belongs to sample i.</summary>
    public static (int Right, int Rows) LabelAgreement(ReadOnlySpan<float> neighbourLabels, ReadOnlySpan<int> labels)
    {
        int b = labels.Length;
        if (b == 0 || neighbourLabels.Length % b != 0)
            throw new ArgumentException($"NNCLR metrics: {neighbourLabels.Length} neighbour labels for {b} samples.");
        int right = 0, rows = 0;
        for (int k = 0; k < neighbourLabels.Length; k++)
        {
            int y = labels[k % b];
            if (y < 0) continue;
            rows++;
            if (neighbourLabels[k] == y) right++;
        }
        return (right, rows);
    }

    /// <summary>Arg-maxes of the rows of a matrix and of its transpose, on the device.</summary>
    private sealed record ArgMaxes(IntTensor Rows, IntTensor Columns) : IDisposable
    {
        public void Dispose() { Rows.Dispose(); Columns.Dispose(); }
    }

    /// <summary>The correlation matrix's arg-maxes and, per feature, the centred norm and mean of each view (the dead-unit check).</summary>
    private sealed record QueuedCorrelation(ArgMaxes ArgMax, Tensor Norms0, Tensor Mean0, Tensor Norms1, Tensor Mean1, int Batch, int Features) : IDisposable
    {
        public void Dispose() { ArgMax.Dispose(); Norms0.Dispose(); Mean0.Dispose(); Norms1.Dispose(); Mean1.Dispose(); }
    }

    private sealed record QueuedStep(ArgMaxes Contrastive, QueuedCorrelation Correlation, Tensor NeighbourLabels, int[] Labels) : IDisposable
    {
        public void Dispose() { Contrastive.Dispose(); Correlation.Dispose(); NeighbourLabels.Dispose(); }
    }

    private static ArgMaxes QueueContrastive(Tensor features0, Tensor features1)
    {
        RequirePair(features0, features1);
        using var noGrad = Tape.NoGrad();
        using var scope = TensorScope.Begin();
        var s = Ops.MatMul(Ops.L2Normalize(features0), Ops.L2Normalize(features1), transB: true);
        return new ArgMaxes(ArgMaxRows(s), ArgMaxRows(Ops.Transpose(s)));
    }

    private static int Score(ArgMaxes q) => Diagonal(q.Rows.ToArray()) + Diagonal(q.Columns.ToArray());

    private static QueuedCorrelation QueueCorrelation(Tensor features0, Tensor features1)
    {
        RequirePair(features0, features1);
        using var noGrad = Tape.NoGrad();
        using var scope = TensorScope.Begin();
        var (u0, norms0, mean0) = CentredUnitColumns(features0);
        var (u1, norms1, mean1) = CentredUnitColumns(features1);
        var c = Ops.MatMul(u0, u1, transB: true);   // [F, F]: cosine of centred column i (view 0) and j (view 1)
        return new QueuedCorrelation(new ArgMaxes(ArgMaxRows(c), ArgMaxRows(Ops.Transpose(c))), norms0, mean0, norms1, mean1,
            features0.Dim(0), features0.Dim(1));
    }

    private static int Score(QueuedCorrelation q)
    {
        bool[] alive0 = Alive(q.Norms0, q.Mean0, q.Batch), alive1 = Alive(q.Norms1, q.Mean1, q.Batch);
        int[] rows = q.ArgMax.Rows.ToArray(), columns = q.ArgMax.Columns.ToArray();
        int right = 0;
        for (int i = 0; i < q.Features; i++)
        {
            if (!alive0[i] || !alive1[i]) continue;
            if (rows[i] == i) right++;
            if (columns[i] == i) right++;
        }
        return right;
    }

    private const float NormEpsilon = 1e-12f;   // norms[i] = max(‖column‖, eps)

    /// <summary>
    /// x [B, F] → the F mean-centred columns as unit rows [F, B] (in the current scope), and each column's
    /// centred norm and mean (outside any scope: the caller keeps them until scored).
    /// </summary>
    private static (Tensor Unit, Tensor Norms, Tensor Mean) CentredUnitColumns(Tensor x)
    {
        int b = x.Dim(0), f = x.Dim(1);
        var be = x.Backend;
        Tensor mean, norms;
        using (TensorScope.Suspend())
        {
            mean = Tensor.Empty(be, f);
            norms = Tensor.Empty(be, f);
        }
        be.SumColumns(x, b, f, mean);
        be.Affine(mean, -1f / b, 0f, mean);
        var centred = x.EmptyLike();
        be.AddRowVector(x, mean, b, f, centred);
        var columns = Tensor.Empty(be, f, b);
        be.Transpose(centred, 1, b, f, columns);
        var unit = columns.EmptyLike();
        be.L2NormalizeRows(columns, unit, norms, f, b, NormEpsilon);
        return (unit, norms, mean);
    }

    /// <summary>Whether each column varies at all: a centred norm at rounding level is 0 for a dead unit, ~1e-7·|mean|·√B when the mean is not exact.</summary>
    private static bool[] Alive(Tensor norms, Tensor mean, int batch)
    {
        float[] n = norms.ToArray(), m = mean.ToArray();
        float root = MathF.Sqrt(batch);
        return Enumerable.Range(0, n.Length).Select(i => n[i] > NormEpsilon && n[i] > 1e-5f * MathF.Abs(m[i]) * root).ToArray();
    }

    /// <summary>Arg-max of each row (outside any scope: kept until scored).</summary>
    private static IntTensor ArgMaxRows(Tensor m)
    {
        int rows = m.Dim(0), cols = m.Dim(1);
        var best = Tensor.Empty(m.Backend, rows, 1);
        IntTensor index;
        using (TensorScope.Suspend()) index = IntTensor.Empty(m.Backend, rows, 1);
        m.Backend.TopKRows(m, rows, cols, 1, best, index);
        return index;
    }

    private static int Diagonal(int[] argmax)
    {
        int n = 0;
        for (int i = 0; i < argmax.Length; i++) if (argmax[i] == i) n++;
        return n;
    }

    private static void RequirePair(Tensor a, Tensor b)
    {
        if (a.Rank != 2 || b.Rank != 2 || a.Dim(0) != b.Dim(0) || a.Dim(1) != b.Dim(1) || a.Dim(0) == 0)
            throw new ArgumentException($"NNCLR metrics: expected two [B, F] feature matrices, got {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)}.");
    }
}
