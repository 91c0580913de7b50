using System.Globalization;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Methods.Swav;

/// <summary>
/// SwAV's collapse monitor: statistics of the codes q [B, K] of an epoch, gathered on the backend
/// (no host synchronisation per step) and read once at the end of the epoch:
/// <list type="bullet">
/// <item>code_entropy: mean over samples of H(q_b) = −Σ_k q_bk ln q_bk — ln K when every code is
/// uniform (nothing tells the samples apart), small when each sample has a confident prototype;</item>
/// <item>mean_code_entropy: H(q̄) of the epoch's average code — near 0 when one prototype takes
/// every sample, ln K when the equal partition holds;</item>
/// <item>prototypes_used: prototypes that are some sample's argmax code in the epoch.</item>
/// </list>
/// A collapsed run shows a loss stuck at ln K (uniform predictions), with code_entropy at ln K or
/// mean_code_entropy near 0 and few prototypes in use.
/// </summary>
public sealed class CodeStatistics : IDisposable
{
    public const string CodeEntropy = "code_entropy", MeanCodeEntropy = "mean_code_entropy", PrototypesUsed = "prototypes_used";

    public static IReadOnlyList<string> Names { get; } = [CodeEntropy, MeanCodeEntropy, PrototypesUsed];

    private readonly IBackend backend;
    private readonly int prototypes;
    private readonly Tensor codeSum, plogpSum, usage;   // [K], [1], [K, 1]
    private long samples;

    public CodeStatistics(IBackend backend, int prototypes)
    {
        this.backend = backend;
        this.prototypes = prototypes;
        using var _ = TensorScope.Suspend();
        codeSum = Tensor.Zeros(backend, prototypes);
        plogpSum = Tensor.Zeros(backend, 1);
        usage = Tensor.Zeros(backend, prototypes, 1);
    }

    /// <summary>Adds the codes <paramref name="q"/> [B, K] of one view of one step.</summary>
    public void Add(Tensor q)
    {
        int b = q.Dim(0), k = q.Dim(1);
        if (k != prototypes) throw new ArgumentException($"CodeStatistics: expected [B, {prototypes}] codes, got {ShapeUtil.Format(q.Shape)}.");
        using var noGrad = Tape.NoGrad();
        using var scope = TensorScope.Begin();
        var column = Tensor.Empty(backend, k);
        backend.SumColumns(q, b, k, column);
        backend.Add(codeSum, column, codeSum);
        // Σ q ln q, with q + 1e-30 inside the log so that q = 0 contributes 0·ln(1e-30) = 0.
        var logq = q.EmptyLike();
        backend.Affine(q, 1f, 1e-30f, logq);
        backend.Log(logq, logq);
        backend.Mul(logq, q, logq);
        var s = Tensor.Empty(backend, 1);
        backend.Sum(logq, s);
        backend.Add(plogpSum, s, plogpSum);
        var top = Tensor.Empty(backend, b, 1);
        using var argmax = IntTensor.Empty(backend, b, 1);
        backend.TopKRows(q, b, k, 1, top, argmax);
        var ones = Tensor.Full(backend, 1f, b, 1);
        backend.ScatterAddRows(ones, argmax, usage, 1);
        samples += b;
    }

    /// <summary>The epoch's three statistics (empty when nothing was added); resets for the next epoch.</summary>
    public IReadOnlyDictionary<string, double> Take()
    {
        var result = new Dictionary<string, double>();
        if (samples > 0)
        {
            var sum = codeSum.ToArray();
            var used = usage.ToArray();
            double plogp = plogpSum.Item();
            double total = sum.Sum(x => (double)x), h = 0;
            foreach (var x in sum)
                if (x > 0) { double p = x / total; h -= p * Math.Log(p); }
            result[CodeEntropy] = -plogp / samples;
            result[MeanCodeEntropy] = h;
            result[PrototypesUsed] = used.Count(u => u > 0);
        }
        backend.Fill(codeSum, 0f);
        backend.Fill(plogpSum, 0f);
        backend.Fill(usage, 0f);
        samples = 0;
        return result;
    }

    /// <summary>"code entropy 5.21, mean code entropy 7.98, 2911 of 3000 prototypes in use".</summary>
    public string Describe(IReadOnlyDictionary<string, double> stats) => stats.Count == 0 ? "no codes" : string.Create(CultureInfo.InvariantCulture,
        $"code entropy {stats[CodeEntropy]:0.###}, mean code entropy {stats[MeanCodeEntropy]:0.###}, {stats[PrototypesUsed]:0} of {prototypes} prototypes in use");

    public void Dispose()
    {
        codeSum.Dispose();
        plogpSum.Dispose();
        usage.Dispose();
    }
}
