using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends;

/// <summary>Row indexing: gather, scatter, memory-bank updates (kernels-cu/index.cu).</summary>
public partial interface IBackend
{
    /// <summary>y[i,:] ← x[index[i],:] for i &lt; index.Length (rows of width cols).</summary>
    void GatherRows(Tensor x, IntTensor index, Tensor y, int cols);

    /// <summary>y[index[i],:] += x[i,:] (duplicates accumulate; y not cleared).</summary>
    void ScatterAddRows(Tensor x, IntTensor index, Tensor y, int cols);

    /// <summary>
    /// NPID memory-bank update (Wu et al. 2018, §3.2): for each i,
    /// v ← m·bank[index[i]] + (1−m)·f[i]; bank[index[i]] ← v / ‖v‖₂. Duplicate indices: last write wins.
    /// </summary>
    void MomentumUpdateRows(Tensor bank, IntTensor index, Tensor features, float momentum, int cols);
}
