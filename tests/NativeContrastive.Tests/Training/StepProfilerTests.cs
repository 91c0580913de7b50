using NUnit.Framework;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Evaluation;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Kernels.Profile;
using NativeContrastive.Tests.Data;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Tests.Training;

/// <summary>
/// The cpu profile of real SimCLR training steps (ResNet-18, CIFAR stem, on 8×8 views of a
/// written Fashion-MNIST file): one row per primitive, named after the IBackend method, whose
/// call counts follow from the model — every convolution and batch norm once per step forward
/// and once backward, the stem's convolution without a data gradient, three GEMMs per linear
/// layer and three for NT-Xent's similarity matrix — with warm-up steps left out, and a
/// measured run that spans epochs.
/// </summary>
[NonParallelizable]
public class StepProfilerTests
{
    private TempDir data = null!;

    [OneTimeSetUp]
    public void WriteData()
    {
        data = new TempDir();
        DatasetWriters.FashionMnist(data.Path, trainCount: 16, testCount: 4);
    }

    [OneTimeTearDown]
    public void DeleteData() => data.Dispose();

    private TrainingConfig Config(string arch) => new()
    {
        Method = "simclr", Dataset = "fashion-mnist", DataPath = data.Path, Arch = arch, BatchSize = 4, Limit = 16, ImageSize = 8,
        MethodOptions = new(StringComparer.Ordinal) { ["projector-hidden-dim"] = "16", ["projector-out-dim"] = "8" }, Device = "cpu", Seed = 3,
        OnlineProbe = false,   // the counts below are the model's; the probe adds its own GEMMs, cross-entropy and Adam
    };

    [Test]
    public void SimClrStepListsEveryPrimitiveWithCallsMatchingTheModel()
    {
        const int steps = 1;
        var config = Config("resnet18");
        var p = StepProfiler.Run(config, steps, warmup: 1);

        using var method = RunComponents.CreateMethod(config.Resolve() with { ImageSize = 8 }, 1, 16, CpuBackend.Instance);
        var parameters = method.NamedParameters();
        int convs = parameters.Count(q => q.Tensor.Rank == 4);
        int linears = parameters.Count(q => q.Tensor.Rank == 2);
        int norms = method.StateDict().Count(q => q.Name.EndsWith("running_mean", StringComparison.Ordinal));
        Assert.That((convs, linears, norms), Is.EqualTo((20, 2, 21)), "ResNet-18: 17 convs + 3 projection shortcuts, 20 BN + the head's BN1d");

        var r = p.Report;
        long Calls(string primitive) => r[primitive]?.Calls ?? 0;
        Assert.That(Calls("Conv2dForward"), Is.EqualTo(steps * convs));
        Assert.That(Calls("Conv2dBackwardWeight"), Is.EqualTo(steps * convs));
        Assert.That(Calls("Conv2dBackwardData"), Is.EqualTo(steps * (convs - 1)), "the image needs no gradient");
        const int blocks = 8;   // each BasicBlock's bn2 runs fused with the residual add and ReLU
        Assert.That(Calls("BatchNormForwardTraining"), Is.EqualTo(steps * (norms - blocks)));
        Assert.That(Calls("BatchNormBackward"), Is.EqualTo(steps * (norms - blocks)));
        Assert.That(Calls("BatchNormAddReluForwardTraining"), Is.EqualTo(steps * blocks));
        Assert.That(Calls("BatchNormAddReluBackward"), Is.EqualTo(steps * blocks));
        Assert.That(Calls("Add") + Calls("Relu") + Calls("ReluBackward"), Is.Zero, "no separate residual add or ReLU in ResNet-18 with the SimCLR head");
        Assert.That(Calls("Gemm"), Is.EqualTo(steps * (3 * linears + 3)));
        Assert.That(Calls("GlobalAvgPoolForward"), Is.EqualTo(steps));
        Assert.That(Calls("L2NormalizeRows"), Is.EqualTo(steps));
        Assert.That(Calls("AugmentViews"), Is.EqualTo(steps * 2), "two views per step, made inside the measured steps");
        Assert.That(Calls("InfoNceRows"), Is.EqualTo(steps), "NT-Xent is one fused InfoNCE over the similarity rows");
        Assert.That(Calls("InfoNceRowsBackward"), Is.EqualTo(steps));
        Assert.That(Calls("SgdUpdate") + Calls("LarsUpdate") + Calls("AdamUpdate"), Is.EqualTo(steps * parameters.Count), "one fused update per parameter tensor");

        Assert.That(r.Entries, Has.All.Matches<ProfileEntry>(e => e!.Kind == ProfileEntryKind.Primitive && e.TotalMs >= 0 && e.Calls > 0));
        Assert.That(r.Entries.Where(e => e.Nested).Select(e => e.Name), Has.All.Contains(" ▸ ").And.Not.Empty);
        var conv = r["Conv2dForward"]!;
        Assert.That(conv.Flops, Is.GreaterThan(0));
        Assert.That(conv.GigaflopsPerSecond, Is.GreaterThan(0));
        Assert.That(r.TotalMs, Is.LessThanOrEqualTo(p.WallMs * 1.001), "top-level primitives run on the stepping thread");
        Assert.That((p.Steps, p.Warmup, p.Config.ImageSize), Is.EqualTo((steps, 1, 8)));
        Assert.That(float.IsFinite(p.LastLoss));
        Assert.That(CpuProfile.Enabled, Is.False, "the profile is switched off afterwards");
    }

    [Test]
    public void StepsBeyondOneEpochContinueIntoTheNext()
    {
        // 16 images in batches of 4: 4 steps per epoch, 7 steps need two epochs.
        var p = StepProfiler.Run(Config("small"), steps: 5, warmup: 2);
        Assert.That(p.Report["Conv2dForward"]!.Calls, Is.EqualTo(5 * 4), "small encoder: 4 convolutions per step");
        Assert.That(p.ImagesPerSecond, Is.EqualTo(p.StepsPerSecond * 4).Within(1e-9));
    }

    [Test]
    public void OnTheEmulatorTheRowsAreKernelsWithDeclaredCosts()
    {
        var config = Config("small") with { Device = "emu" };
        var p = StepProfiler.Run(config, steps: 1, warmup: 1);
        var r = p.Report;
        Assert.That((r.Device, r.Clock), Is.EqualTo(("emu", "wall clock")));
        using var method = RunComponents.CreateMethod(config.Resolve() with { ImageSize = 8 }, 1, 16, CpuBackend.Instance);
        var parameters = method.NamedParameters();
        int linears = parameters.Count(q => q.Tensor.Rank == 2);
        var gemm = r["gemm.cu:gemm_forward_tiled_kernel"]!;
        Assert.That(gemm.Calls, Is.EqualTo(3 * linears + 3), "three GEMMs per linear layer and three for the similarity matrix");
        Assert.That(gemm.Flops, Is.GreaterThan(0));
        Assert.That(r["optim.cu:adam_multi_forward_kernel"]!.Calls, Is.EqualTo(1), "one multi-tensor Adam launch updates every parameter");
        Assert.That(r["optim.cu:adam_forward_kernel"], Is.Null, "no per-tensor Adam launches on the device");
        Assert.That(r.Entries.Where(e => e.Kind == ProfileEntryKind.Kernel), Has.All.Matches<ProfileEntry>(e => e!.Name.Contains(".cu:") && e.Bytes > 0),
            "every launcher declares its bytes");
        Assert.That(r["copy H2D"]!.Calls, Is.GreaterThan(0), "the views are uploaded");
        Assert.That(r.TotalMs, Is.LessThanOrEqualTo(p.WallMs * 1.001));
    }

    /// <summary>
    /// Kernel launches of one SimCLR ResNet-18 step on emu (batch 4, 8×8 views, online probe off). On the
    /// way here: 386 before BasicBlock's bn2 + add + ReLU became one fused op (three launches per block and
    /// pass fewer), 362 (and 10 copies) before gradients were zeroed lazily (a fill per parameter tensor, then
    /// an add of its first contribution, became one device-to-device copy of that contribution; since
    /// Tape.NewContribution the backward writes it there itself, and the copies are gone too).
    /// </summary>
    public const int ResNet18LaunchesPerStep = 230;

    [Test]
    public void ResNet18StepOnTheEmulatorLaunchCount()
    {
        var config = Config("resnet18") with { Device = "emu" };
        var r = StepProfiler.Run(config, steps: 1, warmup: 1).Report;
        var kernels = r.Entries.Where(e => e.Kind == ProfileEntryKind.Kernel).ToList();
        long launches = kernels.Sum(e => e.Calls);
        TestContext.Out.WriteLine($"ResNet-18 step on emu: {launches} launches");
        foreach (var e in kernels.OrderBy(e => e.Name)) TestContext.Out.WriteLine($"  {e.Name} {e.Calls}");
        Assert.That(launches, Is.EqualTo(ResNet18LaunchesPerStep));
        const int blocks = 8;   // ResNet-18's BasicBlocks
        Assert.That(r["batchnorm.cu:batchnorm_add_relu_forward_apply_kernel"]?.Calls, Is.EqualTo(blocks), "each block's bn2 + add + ReLU is one apply");
        Assert.That(r["batchnorm.cu:batchnorm_add_relu_backward_apply_kernel"]?.Calls, Is.EqualTo(blocks), "and one apply backward, writing dx and the residual's gradient");
        Assert.That(r["elementwise.cu:add_forward_kernel"], Is.Null, "no separate residual add");
        Assert.That(r["elementwise.cu:relu_forward_kernel"], Is.Null, "no separate ReLU");
        Assert.That(r["elementwise.cu:relu_backward_kernel"], Is.Null, "no separate ReLU mask backward");

        using var method = RunComponents.CreateMethod(config.Resolve() with { ImageSize = 8 }, 1, 16, CpuBackend.Instance);
        int parameters = method.NamedParameters().Count;
        Assert.That(r["copy D2D"]?.Calls ?? 0, Is.LessThan(parameters / 10),
            "each parameter's first gradient contribution is written into its lazily zeroed gradient, not copied over it");
        Assert.That(r["elementwise.cu:fill_forward_kernel"]?.Calls ?? 0, Is.LessThan(parameters / 10), "no fill per parameter gradient");
        Assert.That(r["elementwise.cu:axpby_forward_kernel"]?.Calls ?? 0, Is.LessThan(parameters / 4), "adds only where a tensor gets a second contribution");
    }

    [Test]
    public void SwavOnTheEmulatorShowsTheSinkhornKernels()
    {
        var config = Config("small") with
        {
            Method = "swav",
            MethodOptions = new(StringComparer.Ordinal) { ["prototypes"] = "12", ["queue-length"] = "0", ["multi-crop"] = "2x100%,2x8" },
            Device = "emu",
        };
        var p = StepProfiler.Run(config, steps: 1, warmup: 1);
        var r = p.Report;
        // Two full-size views get codes each step: T = 3 iterations, 2T + 1 launches per call.
        Assert.That(r["sinkhorn.cu:sinkhorn_forward_partials_kernel"]!.Calls, Is.EqualTo(2 * 3));
        Assert.That(r["sinkhorn.cu:sinkhorn_forward_prototypes_kernel"]!.Calls, Is.EqualTo(2 * 3));
        Assert.That(r["sinkhorn.cu:sinkhorn_forward_codes_kernel"]!.Calls, Is.EqualTo(2));
        Assert.That(r["augment.cu:augment_forward_kernel"]!.Calls, Is.EqualTo(4), "one launch per view: 2 full-size + 2 small");
        Assert.That(float.IsFinite(p.LastLoss));
    }

    [Test]
    public void InvalidCountsAndDevicesAreUserErrors()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => StepProfiler.Run(Config("small"), steps: 0, warmup: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => StepProfiler.Run(Config("small"), steps: 1, warmup: -1));
        Assert.Throws<ArgumentException>(() => Devices.CreateProfiled("tpu"));
    }
}
