namespace NativeContrastive.Kernels.Compile;

/// <summary>NVRTC's output for one source and architecture: CUBIN, PTX, the program log and the per-kernel resources.</summary>
public sealed record CompiledModule(string FileName, GpuArch Arch, byte[] Cubin, string Ptx, string Log, bool FromCache)
{
    public IReadOnlyList<KernelResources> Kernels { get; } = PtxasReport.Parse(Log);
}
