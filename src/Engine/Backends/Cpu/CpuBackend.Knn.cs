using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Cpu;

/// <summary>
/// kNN evaluation: per-row top-k by a bounded min-heap (O(cols·log k) per row, one row per
/// task) and the exp(s/τ)-weighted class vote. Rows are independent, so the parallel result
/// equals the sequential one exactly.
/// </summary>
public sealed partial class CpuBackend
{
    public void TopKRows(Tensor scores, int rows, int cols, int k, Tensor values, IntTensor indices)
    {
        using var profile = CpuProfile.Time(LaunchCost.Elements((long)rows * cols + 2L * rows * k));
        if (k < 0 || k > cols) throw new ArgumentOutOfRangeException(nameof(k), $"TopKRows: k must be in [0, {cols}], got {k}.");
        float[] S = Data(scores), V = Data(values);
        int[] I = Data(indices);
        if (k == 0 || rows == 0) return;
        void Row(int r)
        {
            // heap[0] is the worst of the kept entries; "worse" = smaller score, or equal score and larger index.
            var heapV = new float[k];
            var heapI = new int[k];
            int size = 0;
            var row = S.AsSpan(r * cols, cols);
            for (int c = 0; c < cols; c++)
            {
                float s = float.IsNaN(row[c]) ? float.NegativeInfinity : row[c];
                if (size < k)
                {
                    // Sift up.
                    int at = size++;
                    while (at > 0)
                    {
                        int parent = (at - 1) / 2;
                        if (!Worse(s, c, heapV[parent], heapI[parent])) break;
                        heapV[at] = heapV[parent]; heapI[at] = heapI[parent];
                        at = parent;
                    }
                    heapV[at] = s; heapI[at] = c;
                }
                else if (Worse(heapV[0], heapI[0], s, c))
                {
                    // Replace the root and sift down.
                    int at = 0;
                    while (true)
                    {
                        int child = 2 * at + 1;
                        if (child >= k) break;
                        if (child + 1 < k && Worse(heapV[child + 1], heapI[child + 1], heapV[child], heapI[child])) child++;
                        if (!Worse(heapV[child], heapI[child], s, c)) break;
                        heapV[at] = heapV[child]; heapI[at] = heapI[child];
                        at = child;
                    }
                    heapV[at] = s; heapI[at] = c;
                }
            }
            // Best first: sort by (score desc, index asc). The stored value is the original score.
            var order = new int[k];
            for (int j = 0; j < k; j++) order[j] = j;
            Array.Sort(order, (a, b) => Worse(heapV[a], heapI[a], heapV[b], heapI[b]) ? 1 : Worse(heapV[b], heapI[b], heapV[a], heapI[a]) ? -1 : 0);
            for (int j = 0; j < k; j++)
            {
                int c = heapI[order[j]];
                V[r * k + j] = row[c];
                I[r * k + j] = c;
            }
        }
        if ((long)rows * cols < ParallelThreshold) for (int r = 0; r < rows; r++) Row(r);
        else Parallel.For(0, rows, Row);
    }

    /// <summary>True when (a, ia) ranks below (b, ib): lower score, or the same score at a higher index.</summary>
    private static bool Worse(float a, int ia, float b, int ib) => a < b || (a == b && ia > ib);

    public void KnnVote(Tensor values, IntTensor indices, IntTensor labels, int rows, int k, int numClasses, float temperature, Tensor classScores)
    {
        using var profile = CpuProfile.Time();
        float[] V = Data(values), C = Data(classScores);
        int[] I = Data(indices), L = Data(labels);
        int n = (int)labels.Length;
        Array.Clear(C, 0, rows * numClasses);
        float inv = 1f / temperature;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < k; j++)
            {
                int idx = I[r * k + j];
                if ((uint)idx >= (uint)n) throw new ArgumentOutOfRangeException(nameof(indices), $"KnnVote: neighbour index {idx} outside 0..{n - 1}.");
                int label = L[idx];
                if ((uint)label >= (uint)numClasses)
                    throw new ArgumentOutOfRangeException(nameof(labels), $"KnnVote: bank label {label} of sample {idx} outside 0..{numClasses - 1}.");
                C[r * numClasses + label] += MathF.Exp(V[r * k + j] * inv);
            }
    }
}
