using System.Diagnostics.CodeAnalysis;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// TEMPORARY: runs a primitive that has no kernel yet on the cpu backend, so that whole training
/// steps run on the device now. Inputs are copied to host twins, <see cref="CpuBackend"/> computes,
/// and the outputs are copied back (a host synchronisation per call: slow, and correct).
/// Used only by DeviceBackend.Conv/Pool/BatchNorm/Knn/Lars/MomentumUpdate.cs; each of those files
/// is replaced by a kernel-backed version when its kernels land, and this class is then deleted.
///
/// <code>HostFallback.Run(this, h => CpuBackend.Instance.Op(h.In(x), h.InOut(state), h.Out(y), ...));</code>
/// In: copied to the host before the call. Out: copied back after it (contents before the call
/// undefined, as for any primitive output). InOut: both. One device storage passed twice (in
/// place, or a view) maps to one host twin, so aliasing is preserved. Nothing is copied back
/// when the cpu call throws.
/// </summary>
internal sealed class HostFallback
{
    private readonly DeviceBackend device;
    private readonly Dictionary<Storage, object> twins = new(ReferenceEqualityComparer.Instance);
    private readonly List<(Tensor Device, Tensor Host)> floatOutputs = [];
    private readonly List<(IntTensor Device, IntTensor Host)> intOutputs = [];
    private readonly HashSet<Storage> copiedIn = new(ReferenceEqualityComparer.Instance);

    private HostFallback(DeviceBackend device) => this.device = device;

    public static void Run(DeviceBackend device, Action<HostFallback> cpuCall)
    {
        var h = new HostFallback(device);
        using (TensorScope.Suspend())
        {
            try
            {
                cpuCall(h);
                foreach (var (d, host) in h.floatOutputs) d.Backend.CopyFromHost(CpuBackend.Data(host).AsSpan(0, (int)d.Length), d);
                foreach (var (d, host) in h.intOutputs) d.Backend.CopyFromHost(CpuBackend.Data(host).AsSpan(0, (int)d.Length), d);
            }
            finally
            {
                foreach (var twin in h.twins.Values) ((IDisposable)twin).Dispose();
            }
        }
    }

    [return: NotNullIfNotNull(nameof(t))]
    public Tensor? In(Tensor? t) => t is null ? null : Twin(t, copyIn: true, copyOut: false);

    [return: NotNullIfNotNull(nameof(t))]
    public Tensor? Out(Tensor? t) => t is null ? null : Twin(t, copyIn: false, copyOut: true);

    public Tensor InOut(Tensor t) => Twin(t, copyIn: true, copyOut: true);
    public IntTensor In(IntTensor t) => Twin(t, copyIn: true, copyOut: false);
    public IntTensor Out(IntTensor t) => Twin(t, copyIn: false, copyOut: true);

    private Tensor Twin(Tensor t, bool copyIn, bool copyOut)
    {
        Require(t.Backend);
        if (!twins.TryGetValue(t.Storage, out var twin)) twins[t.Storage] = twin = Tensor.Empty(CpuBackend.Instance, t.Shape);
        var host = (Tensor)twin;
        if (copyIn && copiedIn.Add(t.Storage)) device.CopyToHost(t, CpuBackend.Data(host));
        if (copyOut && !floatOutputs.Exists(o => ReferenceEquals(o.Device.Storage, t.Storage))) floatOutputs.Add((t, host));
        return host;
    }

    private IntTensor Twin(IntTensor t, bool copyIn, bool copyOut)
    {
        Require(t.Backend);
        if (!twins.TryGetValue(t.Storage, out var twin)) twins[t.Storage] = twin = IntTensor.Empty(CpuBackend.Instance, t.Shape);
        var host = (IntTensor)twin;
        if (copyIn && copiedIn.Add(t.Storage)) device.CopyToHost(t, CpuBackend.Data(host));
        if (copyOut && !intOutputs.Exists(o => ReferenceEquals(o.Device.Storage, t.Storage))) intOutputs.Add((t, host));
        return host;
    }

    private void Require(IBackend backend)
    {
        if (!ReferenceEquals(backend, device))
            throw new ArgumentException($"A tensor on {backend.Name} was passed to the {device.Name} backend.");
    }
}
