using NUnit.Framework;
using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Engine.Training.Runs;
using NativeContrastive.Tests.Cli;
using NativeContrastive.Tests.Data;

namespace NativeContrastive.Tests.Training;

/// <summary>
/// --cuda-graphs on the emulated device, which enforces a CUDA capture's rules (no read to the host
/// or wait inside a step, frees after the graph): each method's captured steps compute exactly what
/// its eager steps compute — same losses to the last bit, same weights — over epochs whose last batch
/// is smaller (another graph topology), and `nc profile` reports the comparison.
/// </summary>
[NonParallelizable]
public class StepGraphTests
{
    private TempDir data = null!;

    [OneTimeSetUp]
    public void WriteData()
    {
        data = new TempDir();
        DatasetWriters.FashionMnist(data.Path, trainCount: 40, testCount: 8);
    }

    [OneTimeTearDown]
    public void DeleteData() => data.Dispose();

    [TestCase("simclr")]
    [TestCase("supcon")]
    [TestCase("supervised")]
    [TestCase("swav", "--prototypes", "12", "--queue-length", "0")]
    [TestCase("nnclr", "--queue-size", "64")]
    [TestCase("npid", "--negatives", "16")]   // the default running normaliser: Z is re-estimated on the device every step
    [TestCase("npid", "--negatives", "16", "--nce-z", "fixed")]
    [TestCase("npid", "--full-softmax")]
    // Tensor-core convolutions, their outputs stored as bf16 for batch norm; smaller (the emulated mma is slow): batches 8, 8, 4.
    [TestCase("simclr", "--precision", "bf16", "--image-size", "8", "--batch-size", "8", "--limit", "20")]
    public void CapturedStepsTrainExactlyAsEagerOnes(string method, params string[] options)
    {
        using var eager = new TempDir();
        using var captured = new TempDir();
        Train(eager.Path, method, options, graphs: false);
        Train(captured.Path, method, options, graphs: true);
        string[] Losses(string run) => File.ReadAllLines(new RunFolder(run).StepsPath);
        var a = Losses(eager.Path);
        Assert.That(a.Length, Is.GreaterThan(4), "several steps over two epochs");
        Assert.That(Losses(captured.Path), Is.EqualTo(a), "steps.csv (losses and learning rates) bit for bit");
        // Every tensor of the checkpoint (weights, optimiser state, bank, queues) bit for bit; the metadata
        // differs only in the recorded configuration (cuda_graphs) and says nothing about the computation.
        var e = SafeTensorsFile.Read(Path.Combine(eager.Path, "last.safetensors"));
        var c = SafeTensorsFile.Read(Path.Combine(captured.Path, "last.safetensors"));
        Assert.That(c.Tensors.Select(t => t.Name), Is.EqualTo(e.Tensors.Select(t => t.Name)));
        foreach (var t in e.Tensors) Assert.That(c[t.Name].Data, Is.EqualTo(t.Data), t.Name);
        Assert.That(TrainingConfig.Load(new RunFolder(captured.Path).ConfigPath).CudaGraphs, Is.True, "config.json records it");
    }

    [Test]
    public void TheViewBankIsFilledInsideTheCapturedSteps()
    {
        using var eager = new TempDir();
        using var captured = new TempDir();
        string[] options = ["--knn-bank", "views"];
        Train(eager.Path, "simclr", options, graphs: false);
        Train(captured.Path, "simclr", options, graphs: true);
        string[] Knn(string run)
        {
            var lines = File.ReadAllLines(new RunFolder(run).MetricsPath);
            int top1 = Array.IndexOf(lines[0].Split(','), "knn_top1"), top5 = Array.IndexOf(lines[0].Split(','), "knn_top5");
            return lines.Skip(1).Select(l => l.Split(',')).Select(f => f[top1] + "/" + f[top5]).ToArray();
        }
        var a = Knn(eager.Path);
        Assert.That(a[^1], Does.Not.StartWith("NaN").And.Not.StartWith("/"), "the last epoch is monitored from the views");
        Assert.That(Knn(captured.Path), Is.EqualTo(a), "the same bank written by the graph's steps");
    }

    private void Train(string run, string method, string[] options, bool graphs)
    {
        var args = new List<string> { "train", "--method", method, "--device", "emu", "--data", data.Path, "--out", run, "--arch", "small",
            "--epochs", "2", "--batch-size", "16", "--limit", "40", "--image-size", "16", "--seed", "5", "--eval-every", "0", "--eval-limit", "8" };
        for (int i = 0; i < options.Length; i++)   // a flag already above (every one there has a value) takes the option's value instead
        {
            int at = options[i].StartsWith("--", StringComparison.Ordinal) ? args.IndexOf(options[i]) : -1;
            if (at >= 0 && i + 1 < options.Length) args[at + 1] = options[++i];
            else args.Add(options[i]);
        }
        if (graphs) args.Add("--cuda-graphs");
        var r = CliRunner.Run(args.ToArray());
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
    }

    [Test]
    public void ProfileComparesCapturedWithEagerSteps()
    {
        var config = new TrainingConfig
        {
            Method = "simclr", Dataset = "fashion-mnist", DataPath = data.Path, Arch = "small", BatchSize = 8, Limit = 40, ImageSize = 8,
            MethodOptions = new(StringComparer.Ordinal) { ["projector-hidden-dim"] = "16", ["projector-out-dim"] = "8" },
            Device = "emu", Seed = 3, CudaGraphs = true,
        };
        var p = StepProfiler.Run(config, steps: 3, warmup: 1);
        var g = p.Graphs!;
        Assert.That(g, Is.Not.Null);
        Assert.That(g.Updates + g.Instantiations, Is.EqualTo(3), "each timed step is one graph");
        Assert.That(g.Instantiations, Is.LessThanOrEqualTo(1), "steps of one shape re-use the cached graph");
        Assert.That(g.Nodes, Is.GreaterThan(50));
        Assert.That(g.EagerStepMs, Is.GreaterThan(0));
        Assert.That(g.GraphStepMs, Is.GreaterThan(0));
        Assert.That(p.Report.Entries.Sum(e => e.Calls), Is.GreaterThan(50), "the profiled rows are of eager steps");
        Assert.That(p.PeakDeviceBytes, Is.GreaterThan(0).And.LessThanOrEqualTo(p.HeldDeviceBytes!.Value), "a device reports the peak of its live tensors");
    }

    [Test]
    public void CpuRefusesCudaGraphs()
    {
        using var run = new TempDir();
        var r = CliRunner.Run("train", "--device", "cpu", "--data", data.Path, "--out", run.Path, "--epochs", "1", "--cuda-graphs");
        Assert.That(r.ExitCode, Is.Not.EqualTo(0));
        Assert.That(r.Error, Does.Contain("--cuda-graphs").And.Contain("--device cuda or emu"));
    }
}
