using System.Diagnostics;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Bench;

/// <summary>
/// An <see cref="IKernelDriver"/> that forwards everything to another and adds up the wall time
/// of each kernel's launches and of the copies. Meaningful on the emulated device, whose launches
/// run synchronously; on cuda it would time only the enqueueing.
/// </summary>
public sealed class TimingDriver(IKernelDriver inner) : IKernelDriver
{
    private readonly Dictionary<string, (int Count, double Ms)> kernels = new();

    public string Name => inner.Name;

    public IReadOnlyDictionary<string, (int Count, double Ms)> Kernels => kernels;

    public double CopyMs { get; private set; }

    public void Reset()
    {
        kernels.Clear();
        CopyMs = 0;
    }

    public ulong Alloc(long bytes) => inner.Alloc(bytes);
    public void Free(ulong ptr) => inner.Free(ptr);
    public void CopyToDevice(ulong dst, ReadOnlySpan<byte> src) { long t = Stopwatch.GetTimestamp(); inner.CopyToDevice(dst, src); CopyMs += Ms(t); }
    public void CopyToHost(Span<byte> dst, ulong src) { long t = Stopwatch.GetTimestamp(); inner.CopyToHost(dst, src); CopyMs += Ms(t); }
    public void CopyDeviceToDevice(ulong dst, ulong src, long bytes) { long t = Stopwatch.GetTimestamp(); inner.CopyDeviceToDevice(dst, src, bytes); CopyMs += Ms(t); }
    public void Memset(ulong dst, byte value, long bytes) => inner.Memset(dst, value, bytes);
    public KernelModule Module(string family) => inner.Module(family);
    public void Synchronize() => inner.Synchronize();

    public void Launch(KernelFunction function, Dim3 grid, Dim3 block, uint dynamicSharedBytes, KernelArgs args)
    {
        long t = Stopwatch.GetTimestamp();
        inner.Launch(function, grid, block, dynamicSharedBytes, args);
        string key = function.ToString();
        kernels.TryGetValue(key, out var s);
        kernels[key] = (s.Count + 1, s.Ms + Ms(t));
    }

    private static double Ms(long start) => Stopwatch.GetElapsedTime(start).TotalMilliseconds;

    public void Dispose() { }
}
