// optim.cu — optimiser updates, one parameter element per index (grid-stride), each reading
// and writing its parameter, gradient and state once: memory-bound, fused so that a step is
// one launch per parameter buffer. Formulas follow PyTorch's SGD and AdamW.
// Launch configuration: OptimKernels.cs.
#include "nc_cuda.cuh"

// SGD with momentum and (coupled) weight decay, PyTorch's torch.optim.SGD (dampening 0):
//   d = g + wd·w;  v ← μ·v + d;  w ← w − lr·v
extern "C" __global__ void sgd_momentum_forward_kernel(float* __restrict__ w, const float* __restrict__ g, float* __restrict__ v,
                                                       long long n, float lr, float momentum, float weight_decay)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    {
        float d = g[i] + weight_decay * w[i];
        float vi = momentum * v[i] + d;
        v[i] = vi;
        w[i] -= lr * vi;
    }
}

// AdamW (decoupled weight decay), PyTorch's torch.optim.AdamW at step t:
//   w ← w·(1 − lr·wd);  m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
//   w ← w − lr·(m / c1) / (√(v / c2) + ε),   c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ (computed by the host).
extern "C" __global__ void adamw_forward_kernel(float* __restrict__ w, const float* __restrict__ g, float* __restrict__ m,
                                                float* __restrict__ v, long long n, float lr, float beta1, float beta2, float eps,
                                                float weight_decay, float c1, float c2)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    {
        float gi = g[i];
        float mi = beta1 * m[i] + (1.f - beta1) * gi;
        float vi = beta2 * v[i] + (1.f - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float wi = w[i] * (1.f - lr * weight_decay);
        w[i] = wi - lr * (mi / c1) / (sqrtf(vi / c2) + eps);
    }
}

NC_EXPORT_KERNEL(sgd_momentum_forward_kernel);
NC_EXPORT_KERNEL(adamw_forward_kernel);
