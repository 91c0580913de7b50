using NUnit.Framework;
using NativeContrastive.Engine.Backends;
using NativeContrastive.Engine.Backends.Cpu;
using NativeContrastive.Engine.Backends.Device;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Kernels.Launch;
using NativeContrastive.Tests.KernelTests;

namespace NativeContrastive.Tests.Training;

/// <summary>
/// A training step never waits for the device: on the emulated device a run of steps reads nothing
/// back until <see cref="TrainingStep.Drain"/>, which returns every step in order with its loss and
/// learning rate; a loss that is not finite is reported at the drain with the step that produced it,
/// though later steps were queued after it; the log refuses a step when full.
/// </summary>
[NonParallelizable]
public class StepLogTests : TinySessionData
{
    /// <summary>The emulated device with a count of device-to-host reads (each one a wait for the device on a GPU).</summary>
    private sealed class ReadCountingDriver(IKernelDriver inner) : IKernelDriver
    {
        public int Reads;
        public string Name => inner.Name;
        public ulong Alloc(long bytes) => inner.Alloc(bytes);
        public void Free(ulong ptr) => inner.Free(ptr);
        public void CopyToDevice(ulong dst, ReadOnlySpan<byte> src) => inner.CopyToDevice(dst, src);
        public void CopyToHost(Span<byte> dst, ulong src) { Reads++; inner.CopyToHost(dst, src); }
        public void CopyDeviceToDevice(ulong dst, ulong src, long bytes) => inner.CopyDeviceToDevice(dst, src, bytes);
        public void Memset(ulong dst, byte value, long bytes) => inner.Memset(dst, value, bytes);
        public KernelModule Module(string family) => inner.Module(family);
        public void Launch(KernelFunction function, Dim3 grid, Dim3 block, uint dynamicSharedBytes, KernelArgs args) =>
            inner.Launch(function, grid, block, dynamicSharedBytes, args);
        public void Launch(KernelFunction function, Dim3 grid, Dim3 block, uint dynamicSharedBytes, KernelArgs args, LaunchCost cost) =>
            inner.Launch(function, grid, block, dynamicSharedBytes, args, cost);
        public void Synchronize() => inner.Synchronize();
        public void Dispose() { }   // the shared emulated device outlives the test
    }

    // The probe reads its predictions back to score them: off, so the step is the method's alone.
    private TrainingConfig Config(string device = "cpu") => TinyConfig("simclr", seed: 4, c => c with { OnlineProbe = false, Device = device });

    [Test]
    public void StepsOnTheDeviceReadNothingUntilTheDrain()
    {
        var driver = new ReadCountingDriver(Emu.Driver);
        var backend = new DeviceBackend(driver, "emu");
        using var session = TrainingSession.Create(Config("emu"), backend, prefetch: false);
        session.Method.Train(true);
        int step = 0;
        driver.Reads = 0;
        foreach (var batch in session.Loader.Epoch(0))
        {
            session.Step.Run(batch, step, 1, step + 1);
            if (++step == 3) break;
        }
        Assert.That(driver.Reads, Is.Zero, "three steps queued without one read from the device");
        var drained = session.Step.Drain();
        Assert.That(driver.Reads, Is.GreaterThan(0), "the drain reads the log");
        Assert.That(drained.Select(d => (d.Step.GlobalStep, d.Step.StepInEpoch)), Is.EqualTo(new[] { (0L, 1), (1L, 2), (2L, 3) }));
        Assert.That(drained.Select(d => d.Outcome.Loss), Has.All.Matches<float>(float.IsFinite).And.All.GreaterThan(0f));
        Assert.That(session.Step.Drain(), Is.Empty, "a drained log is empty");
    }

    [Test]
    public void DrainedLossesOnEmuMatchTheCpu()
    {
        float[] Losses(IBackend backend, string device)
        {
            using var session = TrainingSession.Create(Config(device), backend, prefetch: false);
            session.Method.Train(true);
            int step = 0;
            foreach (var batch in session.Loader.Epoch(0))
            {
                session.Step.Run(batch, step, 1, step + 1);
                if (++step == 2) break;
            }
            return session.Step.Drain().Select(d => d.Outcome.Loss).ToArray();
        }
        var cpu = Losses(CpuBackend.Instance, "cpu");
        var emu = Losses(new DeviceBackend(Emu.Driver, "emu"), "emu");
        Assert.That(emu, Has.Length.EqualTo(2));
        for (int i = 0; i < 2; i++) Assert.That(emu[i], Is.EqualTo(cpu[i]).Within(1e-4f * Math.Abs(cpu[i])), $"step {i + 1}");
    }

    [TestCase("cpu")]
    [TestCase("emu")]
    public void ANonFiniteLossIsNamedWithItsStepThoughLaterStepsWereQueued(string device)
    {
        IBackend backend = device == "cpu" ? CpuBackend.Instance : new DeviceBackend(Emu.Driver, "emu");
        using var session = TrainingSession.Create(Config(device), backend, prefetch: false);
        session.Method.Train(true);
        var weight = session.Method.NamedParameters()[0].Tensor;
        int step = 0;
        foreach (var batch in session.Loader.Epoch(0))
        {
            if (step == 1) backend.Fill(weight, float.NaN);   // after step 1 was queued: step 2 is the first to see it
            session.Step.Run(batch, step, 1, step + 1);
            if (++step == 3) break;
        }
        var e = Assert.Throws<TrainingException>(() => session.Step.Drain())!;
        Assert.That(e.Message, Does.Contain("the loss became NaN at epoch 1, step 2 "));
    }

    [Test]
    public void AFullLogRefusesTheNextStep()
    {
        using var session = TrainingSession.Create(Config(), CpuBackend.Instance, prefetch: false);
        using var step = new TrainingStep(session.Method, session.Optimizer, session.Schedule, session.StepsPerEpoch, logCapacity: 2);
        session.Method.Train(true);
        using var batches = session.Loader.Epoch(0).GetEnumerator();
        for (int s = 0; s < 2; s++)
        {
            Assert.That(step.MustDrain, Is.False);
            Assert.That(batches.MoveNext());
            step.Run(batches.Current, s, 1, s + 1);
        }
        Assert.That(step.MustDrain, Is.True);
        Assert.That(batches.MoveNext());
        Assert.Throws<InvalidOperationException>(() => step.Run(batches.Current, 2, 1, 3));
        Assert.That(step.Drain(), Has.Count.EqualTo(2));
        Assert.That(step.MustDrain, Is.False);
    }
}
