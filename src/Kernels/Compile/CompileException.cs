namespace NativeContrastive.Kernels.Compile;

/// <summary>
/// NVRTC rejected a source. The message leads with the first error as file:line (from the
/// program log, e.g. "softmax.cu(42): error: identifier "x" is undefined") followed by the
/// whole log.
/// </summary>
public sealed class CompileException(string fileName, string? firstErrorLocation, string log, string arch)
    : Exception($"NVRTC could not compile {firstErrorLocation ?? fileName} for {arch}:\n{log}")
{
    public string FileName { get; } = fileName;
    /// <summary>"file.cu:LINE" of the first error, when the log names one.</summary>
    public string? Location { get; } = firstErrorLocation;
    public string Log { get; } = log;
}
