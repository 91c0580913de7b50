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
/// right only for index 0.
/// </summary>
public sealed class NnclrMetrics
{
    public const string Contrastive = "contrastive_acc", Correlation = "correlation_acc", NeighbourLabel = "nn_label_acc";

    public static IReadOnlyList<string> Names { get; } = [Contrastive, Correlation, NeighbourLabel];

    private long contrastiveRight, contrastiveRows, correlationRight, correlationRows, labelRight, labelRows;

    /// <summary>Adds a step: features of view 0 and view 1 [B, F], the neighbours' labels [2B] (views 0 then 1), the batch's labels [B].</summary>
    public void Add(Tensor features0, Tensor features1, Tensor neighbourLabels, ReadOnlySpan<int> labels)
    {
        var (c, cn) = ContrastiveAccuracy(features0, features1);
        contrastiveRight += c;
        contrastiveRows += cn;
        var (r, rn) = CorrelationAccuracy(features0, features1);
        correlationRight += r;
        correlationRows += rn;
        var (l, ln) = LabelAgreement(neighbourLabels.ToArray(), labels);
        labelRight += l;
        labelRows += ln;
    }

    /// <summary>The epoch's accuracies in percent (nn_label_acc only when labelled samples were seen); starts a new epoch.</summary>
    public IReadOnlyDictionary<string, double> Take()
    {
        var m = new Dictionary<string, double>();
        if (contrastiveRows > 0) m[Contrastive] = 100.0 * contrastiveRight / contrastiveRows;
        if (correlationRows > 0) m[Correlation] = 100.0 * correlationRight / correlationRows;
        if (labelRows > 0) m[NeighbourLabel] = 100.0 * labelRight / labelRows;
        contrastiveRight = contrastiveRows = correlationRight = correlationRows = labelRight = labelRows = 0;
        return m;
    }

    /// <summary>(right, rows) of the retrieval of each view's own other view in the batch, both directions (2B rows).</summary>
    public static (int Right, int Rows) ContrastiveAccuracy(Tensor features0, Tensor features1)
    {
        RequirePair(features0, features1);
        int b = features0.Dim(0);
        using var noGrad = Tape.NoGrad();
        using var scope = TensorScope.Begin();
        var s = Ops.MatMul(Ops.L2Normalize(features0), Ops.L2Normalize(features1), transB: true);
        int right = Diagonal(ArgMaxRows(s)) + Diagonal(ArgMaxRows(Ops.Transpose(s)));
        return (right, 2 * b);
    }

    /// <summary>(right, rows) of each feature's strongest cross-view correlation being itself, both directions (2F rows).</summary>
    public static (int Right, int Rows) CorrelationAccuracy(Tensor features0, Tensor features1)
    {
        RequirePair(features0, features1);
        int f = features0.Dim(1);
        using var noGrad = Tape.NoGrad();
        using var scope = TensorScope.Begin();
        var (u0, alive0) = CentredUnitColumns(features0);
        var (u1, alive1) = CentredUnitColumns(features1);
        var c = Ops.MatMul(u0, u1, transB: true);   // [F, F]: cosine of centred column i (view 0) and j (view 1)
        int[] rows = ArgMaxRows(c), columns = ArgMaxRows(Ops.Transpose(c));
        int right = 0;
        for (int i = 0; i < f; i++)
        {
            if (!alive0[i] || !alive1[i]) continue;
            if (rows[i] == i) right++;
            if (columns[i] == i) right++;
        }
        return (right, 2 * f);
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

    /// <summary>x [B, F] → the F mean-centred columns as unit rows [F, B], and whether each column varies at all.</summary>
    private static (Tensor Unit, bool[] Alive) CentredUnitColumns(Tensor x)
    {
        int b = x.Dim(0), f = x.Dim(1);
        var be = x.Backend;
        var mean = Tensor.Empty(be, f);
        be.SumColumns(x, b, f, mean);
        be.Affine(mean, -1f / b, 0f, mean);
        var centred = x.EmptyLike();
        be.AddRowVector(x, mean, b, f, centred);
        var columns = Tensor.Empty(be, f, b);
        be.Transpose(centred, 1, b, f, columns);
        var unit = columns.EmptyLike();
        var norms = Tensor.Empty(be, f);
        const float eps = 1e-12f;   // norms[i] = max(‖column‖, eps)
        be.L2NormalizeRows(columns, unit, norms, f, b, eps);
        // Constant means a centred norm at rounding level: 0 for a dead unit, ~1e-7·|mean|·√B when the mean is not exact.
        float[] n = norms.ToArray(), m = mean.ToArray();
        float root = MathF.Sqrt(b);
        return (unit, Enumerable.Range(0, f).Select(i => n[i] > eps && n[i] > 1e-5f * MathF.Abs(m[i]) * root).ToArray());
    }

    private static int[] ArgMaxRows(Tensor m)
    {
        int rows = m.Dim(0), cols = m.Dim(1);
        var best = Tensor.Empty(m.Backend, rows, 1);
        var index = IntTensor.Empty(m.Backend, rows, 1);
        m.Backend.TopKRows(m, rows, cols, 1, best, index);
        return index.ToArray();
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
