namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// Which code runs a device backend's <see cref="IBackend.Gemm"/> and <see cref="IBackend.GemmStridedBatched"/>:
/// our tiled kernel (kernels-cu/gemm.cu) or cuBLAS SGEMM (cuda only). Chosen with
/// <see cref="DeviceBackend.GemmEngine"/> or the environment variable <c>NC_GEMM=cublas|ours</c>
/// (read when the backend is made; default cublas on cuda when libcublas loads, ours otherwise;
/// the emu device always uses ours).
/// </summary>
public enum DeviceGemmEngine
{
    Ours,
    Cublas,
}
