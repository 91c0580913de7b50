// optim.cu — optimiser updates, one parameter element per index (grid-stride), each reading
// and writing its parameter, gradient and state once: memory-bound, fused so that a step is
// one launch per parameter buffer. Formulas follow PyTorch's SGD (plain, momentum,
// Nesterov), Adam (L2 weight decay) and AdamW (decoupled weight decay).
// Launch configuration: OptimKernels.cs.
#include "nc_cuda.cuh"

// Plain SGD (no momentum buffer), PyTorch's torch.optim.SGD with momentum 0:
//   w ← w − lr·(g + wd·w)
extern "C" __global__ void sgd_forward_kernel(float* __restrict__ w, const float* __restrict__ g, long long n, float lr,
                                              float weight_decay)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        w[i] -= lr * (g[i] + weight_decay * w[i]);
}

// SGD with momentum and (coupled) weight decay, PyTorch's torch.optim.SGD (dampening 0):
//   d = g + wd·w;  v ← μ·v + d;  w ← w − lr·(nesterov ? d + μ·v : v)
extern "C" __global__ void sgd_momentum_forward_kernel(float* __restrict__ w, const float* __restrict__ g, float* __restrict__ v,
                                                       long long n, float lr, float momentum, float weight_decay, int nesterov)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    {
        float d = g[i] + weight_decay * w[i];
        float vi = momentum * v[i] + d;
        v[i] = vi;
        w[i] -= lr * (nesterov ? d + momentum * vi : vi);
    }
}

// Adam / AdamW, PyTorch's torch.optim.Adam and AdamW at step t. The host folds the mode and the
// bias corrections c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ into four uniform values (fewer registers):
//   Adam (L2):       l2 = wd, shrink = 1          →  g ← g + wd·w
//   AdamW:           l2 = 0,  shrink = 1 − lr·wd  →  w ← w·(1 − lr·wd)
//   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
//   w ← w·shrink − step_size·m / (√v·inv_sqrt_c2 + ε),  step_size = lr/c1, inv_sqrt_c2 = 1/√c2
extern "C" __global__ void adam_forward_kernel(float* __restrict__ w, const float* __restrict__ g, float* __restrict__ m,
                                               float* __restrict__ v, long long n, float beta1, float beta2, float eps, float l2,
                                               float shrink, float step_size, float inv_sqrt_c2)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    {
        float wi = w[i];
        float gi = g[i] + l2 * wi;
        float mi = beta1 * m[i] + (1.f - beta1) * gi;
        float vi = beta2 * v[i] + (1.f - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] = wi * shrink - step_size * mi / (sqrtf(vi) * inv_sqrt_c2 + eps);
    }
}

NC_EXPORT_KERNEL(sgd_forward_kernel);
NC_EXPORT_KERNEL(sgd_momentum_forward_kernel);
NC_EXPORT_KERNEL(adam_forward_kernel);
