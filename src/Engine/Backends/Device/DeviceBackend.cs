using NativeContrastive.Engine.Tensors;
using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;

namespace NativeContrastive.Engine.Backends.Device;

/// <summary>
/// The backend of the <c>cuda</c> and <c>emu</c> devices: every <see cref="IBackend"/> primitive is
/// one or two launches of the kernels in kernels-cu, through the launchers in
/// NativeContrastive.Kernels.Families and an <see cref="IKernelDriver"/>. The two devices share
/// this class entirely; only the driver differs (<see cref="CudaDriver"/> or <see cref="EmuDriver"/>).
/// One partial file per IBackend family (DeviceBackend.&lt;Family&gt;.cs).
///
/// Launches do not wait for the device: the only host synchronisations are the copies to the
/// host (and <see cref="Synchronize"/>), where errors that kernels recorded (indices out of
/// range, see <see cref="IndexErrors"/>) are raised. Memory comes from a size-bucketed pool
/// (<see cref="DeviceMemoryPool"/>), so steady-state training allocates nothing from the driver.
/// The backend does not own the driver: whoever made the driver disposes it.
/// </summary>
public sealed partial class DeviceBackend : IBackend, IDisposable
{
    private readonly DeviceBuffer indexErrors;
    private readonly ElementwiseKernels elementwise;
    private readonly ReductionKernels reduction;
    private readonly GemmKernels gemm;
    private readonly SoftmaxKernels softmax;
    private readonly L2NormKernels l2norm;
    private readonly IndexKernels index;
    private readonly OptimKernels optim;
    private readonly ConvKernels conv;
    private readonly BatchNormKernels batchNorm;
    private readonly PoolKernels pool;
    private readonly ContrastiveKernels contrastive;
    private readonly KnnKernels knn;
    private readonly AugmentKernels augment;
    private readonly ArgMaxKernels argMax;
    private readonly SinkhornKernels sinkhorn;
    private readonly RandomKernels random;
    private int disposed;

    public DeviceBackend(IKernelDriver driver, string name)
    {
        Driver = driver ?? throw new ArgumentNullException(nameof(driver));
        Name = name;
        Pool = new DeviceMemoryPool(driver);
        indexErrors = IndexErrors.Allocate(driver);
        elementwise = new ElementwiseKernels(driver);
        reduction = new ReductionKernels(driver);
        gemm = new GemmKernels(driver);
        softmax = new SoftmaxKernels(driver);
        l2norm = new L2NormKernels(driver);
        index = new IndexKernels(driver);
        optim = new OptimKernels(driver);
        conv = new ConvKernels(driver);
        batchNorm = new BatchNormKernels(driver);
        pool = new PoolKernels(driver);
        contrastive = new ContrastiveKernels(driver);
        knn = new KnnKernels(driver);
        augment = new AugmentKernels(driver);
        argMax = new ArgMaxKernels(driver);
        sinkhorn = new SinkhornKernels(driver);
        random = new RandomKernels(driver);
        GemmEngine = DefaultGemmEngine(driver);
    }

    /// <summary>"cuda" or "emu".</summary>
    public string Name { get; }

    /// <summary>False: primitives are queued on the driver's stream, called from one thread.</summary>
    public bool ComputesOnHost => false;

    public Precision Precision { get; set; } = Precision.Fp32;

    /// <summary>The driver every launch and copy goes through.</summary>
    public IKernelDriver Driver { get; }

    /// <summary>The memory pool (its counters show whether a step allocated from the driver).</summary>
    public DeviceMemoryPool Pool { get; }

    /// <summary>The device buffer of a float tensor of a device backend (element 0 of the tensor is element 0 of the buffer).</summary>
    internal static DeviceBuffer Buf(Tensor t) => t.Storage is DeviceStorage d ? d.Buffer
        : throw new ArgumentException($"{t} is not on a cuda/emu device: move it with CopyToHost/CopyFromHost first.");

    /// <summary>The device buffer of an int tensor of a device backend.</summary>
    internal static DeviceBuffer Buf(IntTensor t) => t.Storage is DeviceStorage d ? d.Buffer
        : throw new ArgumentException($"IntTensor[{string.Join(",", t.Shape)}] on {t.Backend.Name} is not on a cuda/emu device.");

    /// <summary>The device buffer of a byte tensor of a device backend.</summary>
    internal static DeviceBuffer Buf(ByteTensor t) => t.Storage is DeviceStorage d ? d.Buffer
        : throw new ArgumentException($"ByteTensor[{string.Join(",", t.Shape)}] on {t.Backend.Name} is not on a cuda/emu device.");

    /// <summary>The device buffer of a bf16 tensor of a device backend.</summary>
    internal static DeviceBuffer Buf(Bf16Tensor t) => t.Storage is DeviceStorage d ? d.Buffer
        : throw new ArgumentException($"{t} on {t.Backend.Name} is not on a cuda/emu device.");

    /// <summary>Raises the first index error a kernel recorded since the last check (call only after a synchronisation).</summary>
    private void ThrowRecordedIndexError()
    {
        if (IndexErrors.TakeReport(indexErrors) is not { } r) return;
        string primitive = r.Code switch
        {
            1 => "GatherRows",
            2 => "ScatterAddRows",
            3 => "PickPerRow",
            4 => "PickPerRowBackward",
            5 => "MomentumUpdateRows",
            6 => "InfoNceRows",
            7 => "InfoNceRowsBackward",
            8 or 9 => "KnnVote",
            _ => IndexErrors.KernelOf(r.Code),
        };
        // InfoNCE also rejects a positive inside [0, cols) that is the excluded self column.
        string problem = r.Code is 6 or 7 && (uint)r.Value < (uint)r.Limit ? "is the excluded self column" : $"is outside [0, {r.Limit})";
        throw new ArgumentOutOfRangeException("index",
            $"{primitive}: index[{r.Position}] = {r.Value} {problem} (found by {IndexErrors.KernelOf(r.Code)} on the {Name} device; " +
            "the launch was asynchronous, so this is raised at the next copy to the host).");
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        cublas?.Dispose();
        conv.Dispose();
        convMma?.Dispose();
        batchNorm.Dispose();
        Pool.Dispose();
        indexErrors.Dispose();
    }
}
