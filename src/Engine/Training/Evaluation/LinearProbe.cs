using System.Diagnostics;
using System.Globalization;
using System.Text;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Eval;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Optim;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Training.Checkpointing;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Engine.Training.Runs;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Training.Evaluation;

/// <summary>One epoch of the linear probe: mean training loss, the learning rate of its last step, training top-1 (on the batches as trained), test top-1/top-5 (fractions).</summary>
public sealed record ProbeEpoch(int Epoch, double Loss, double Lr, double TrainTop1, double TestTop1, double TestTop5, double Seconds);

/// <summary>The outcome of `nc linear`.</summary>
public sealed record LinearProbeResult(LinearProbeConfig Config, string RunDirectory, string ClassifierPath, string Method, string Arch, string Dataset,
                                       int FeatureDim, int Classes, int TrainCount, int TestCount, IReadOnlyList<ProbeEpoch> Epochs, double FeatureSeconds, double Seconds)
{
    public ProbeEpoch Final => Epochs[^1];
}

/// <summary>
/// The linear evaluation protocol (solo-learn, lightly): the checkpoint's encoder is frozen and
/// only it is loaded (so any method's checkpoint works), the features of the training and test
/// images are computed ONCE on the device with the eval transform, normalised as configured
/// (<see cref="LinearProbeConfig.FeatureNorm"/>), and a linear classifier "fc" is trained on them
/// with cross-entropy (optionally label-smoothed), SGD with momentum or Adam, and a cosine schedule
/// to 0 over all steps. Batches are drawn from a seeded permutation per epoch
/// (<see cref="EvalStreams.ProbeShuffle"/>); the classifier starts from PyTorch's Linear
/// initialisation drawn from <see cref="EvalStreams.ProbeInit"/>. After every epoch the test split
/// is scored (top-1/top-5 of the logits).
///
/// Run folder: config.json (the resolved <see cref="LinearProbeConfig"/>), metrics.csv (epoch,
/// loss, lr, train_top1, test_top1, test_top5, seconds) rewritten after every epoch, and
/// classifier.safetensors at the end ("fc.weight" [C, D], "fc.bias" [C], with
/// "feature_mean"/"feature_std" [D] for standardised features, and metadata naming the encoder's
/// checkpoint and the final accuracies). All written with <see cref="AtomicFile"/>.
/// </summary>
public static class LinearProbe
{
    public const string MetricsHeader = "epoch,loss,lr,train_top1,test_top1,test_top5,seconds";
    public const string ClassifierFileName = "classifier.safetensors", FormatValue = "nativecontrastive/linear-probe-1";

    public static LinearProbeResult Run(LinearProbeConfig config, CancellationToken cancellation = default, Action<string>? log = null)
    {
        var clock = Stopwatch.StartNew();
        config = config.Resolve();
        var ckpt = TrainingCheckpoint.Read(RunFolder.ResolveCheckpoint(config.Checkpoint));
        config = config with { Checkpoint = ckpt.Path };
        var run = ckpt.Config with { DataPath = config.DataPath ?? ckpt.Config.DataPath, Device = config.Device ?? ckpt.Config.Device, Arch = ckpt.Arch };
        ulong seed = config.Seed ?? run.Seed;
        config = config with { Precision = Precisions.Format(Precisions.Resolve(config.Precision, run.Device)) };
        var backend = Devices.Create(run.Device);
        using var precisionScope = Precisions.Use(backend, Precisions.Parse(config.Precision));
        var train = RunComponents.LoadTrain(run, config.Limit);
        var test = RunComponents.LoadTest(run) ?? throw new TrainingException($"{run.Dataset} at {run.DataPath}: no test split to evaluate on.");
        if (train.Channels != ckpt.InChannels)
            throw new CheckpointFormatException(ckpt.Path, $"expected in_channels {train.Channels} (the channels of {train.Name}), found {ckpt.InChannels}.");
        var trainRows = Enumerable.Range(0, train.Count).Where(i => train.Labels[i] >= 0).ToArray();
        var testRows = Enumerable.Range(0, test.Count).Where(i => test.Labels[i] >= 0).ToArray();
        if (trainRows.Length == 0) throw new TrainingException($"linear: the training split of {train.Name} has no labels to train a classifier with.");
        if (testRows.Length == 0) throw new TrainingException($"linear: the test split of {test.Name} has no labels to score against.");
        var trainLabels = trainRows.Select(i => train.Labels[i]).ToArray();
        var testLabels = testRows.Select(i => test.Labels[i]).ToArray();
        int classes = Math.Max(train.NumClasses, test.NumClasses);

        string dir = Path.GetFullPath(config.Out ?? Path.Combine(Path.GetDirectoryName(ckpt.Path)!, "linear"));
        Directory.CreateDirectory(dir);
        // Two probes writing one folder would interleave their files: the second stops, naming the first.
        using var folderLock = Runs.RunLock.Acquire(dir);
        config = config with { Out = dir, Seed = seed, Device = run.Device, DataPath = run.DataPath };
        AtomicFile.WriteAllText(Path.Combine(dir, "config.json"), config.ToJson() + "\n");

        using var scope = TensorScope.Begin();
        // ---- features, once, with the encoder frozen ----------------------------------------
        Tensor trainF, testF;
        int dim;
        using (var encoder = RunComponents.CreateEncoder(run, ckpt.InChannels, backend, RunComponents.InitStream(run)))
        {
            ckpt.RestoreEncoder(encoder);
            try
            {
                using (var data = new ResidentDataset(train, backend))
                    trainF = FeatureExtractor.ExtractWithHead(encoder, null, data, config.FeatureBatchSize, ckpt.ImageSize, train.Normalization, trainRows, normalize: false).Features;
                cancellation.ThrowIfCancellationRequested();
                using (var data = new ResidentDataset(test, backend))
                    testF = FeatureExtractor.ExtractWithHead(encoder, null, data, config.FeatureBatchSize, ckpt.ImageSize, train.Normalization, testRows, normalize: false).Features;
            }
            catch (NonFiniteFeaturesException e) { throw ckpt.Overflowed(e); }
            cancellation.ThrowIfCancellationRequested();
            dim = trainF.Dim(1);
        }
        double featureSeconds = clock.Elapsed.TotalSeconds;
        log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"linear: {ckpt.Arch} encoder of {ckpt.Path} (epoch {ckpt.Epoch}, {Get(ckpt, "method")}), {dim}-d features of {trainRows.Length} train and {testRows.Length} test images in {featureSeconds:0.0}s"));
        var (mean, std) = Normalise(config.FeatureNorm, trainF, testF);

        // ---- the classifier ---------------------------------------------------------------------
        using var classifier = new LinearHead(dim, classes, backend, EvalStreams.Create(seed, EvalStreams.ProbeInit));
        var parameters = classifier.NamedParameters().ToList();
        using var optimizer = OptimizerFactory.Create(config.Optimizer, parameters, new OptimizerOptions
        {
            Momentum = config.Momentum,
            WeightDecay = config.WeightDecay,
            Betas = (config.Optimizer == "adam" ? config.Momentum : 0.9f, 0.999f),
        });
        int n = trainRows.Length;
        int steps = (n + config.BatchSize - 1) / config.BatchSize;
        var schedule = new WarmupCosineSchedule(config.LearningRate, 0, (long)steps * config.Epochs);
        var epochs = new List<ProbeEpoch>();
        long step = 0;
        var batchLabels = new int[config.BatchSize];
        var predictions = new int[config.BatchSize];
        for (int epoch = 1; epoch <= config.Epochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            var order = EvalStreams.Create(seed, EvalStreams.ProbeShuffle, (uint)epoch).Permutation(n);
            double lossSum = 0;
            int correct = 0;
            float lr = 0;
            for (int start = 0; start < n; start += config.BatchSize)
            {
                cancellation.ThrowIfCancellationRequested();
                int b = Math.Min(config.BatchSize, n - start);
                using var stepScope = TensorScope.Begin();
                optimizer.ZeroGrad();
                for (int i = 0; i < b; i++) batchLabels[i] = trainLabels[order[start + i]];
                using var index = IntTensor.FromArray(backend, order.AsSpan(start, b), b);
                using var targets = IntTensor.FromArray(backend, batchLabels.AsSpan(0, b), b);
                var x = Tensor.Empty(backend, b, dim);
                backend.GatherRows(trainF, index, x, dim);
                var logits = classifier.Forward(x);
                var loss = config.LabelSmoothing > 0
                    ? Ops.SoftCrossEntropy(logits, SmoothedTargets(backend, batchLabels.AsSpan(0, b), classes, config.LabelSmoothing))
                    : Ops.CrossEntropy(logits, targets);
                float value = loss.Item();
                if (!float.IsFinite(value))
                {
                    Tape.Clear();
                    throw new TrainingException(string.Create(CultureInfo.InvariantCulture, $"linear: the loss became {value} at epoch {epoch}; try a smaller --lr."));
                }
                Tape.Backward(loss);
                lr = schedule.At(step++);
                optimizer.Step(lr);
                lossSum += value * b;
                using (Tape.NoGrad())
                {
                    using var best = IntTensor.Empty(backend, b);
                    var bestValue = Tensor.Empty(backend, b);
                    backend.ArgMaxRows(logits, b, classes, bestValue, best);
                    backend.CopyToHost(best, predictions.AsSpan(0, b));
                }
                for (int i = 0; i < b; i++) if (predictions[i] == batchLabels[i]) correct++;
            }
            var (top1, top5) = Score(classifier, testF, testLabels, classes);
            var row = new ProbeEpoch(epoch, lossSum / n, lr, correct / (double)n, top1, top5, epochClock.Elapsed.TotalSeconds);
            epochs.Add(row);
            WriteMetrics(Path.Combine(dir, "metrics.csv"), epochs);
            log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"linear: epoch {epoch}/{config.Epochs}, loss {row.Loss:0.####}, lr {lr:G3}, train top1 {100 * row.TrainTop1:0.00}%, test top1 {100 * top1:0.00}% top5 {100 * top5:0.00}%"));
        }

        string classifierPath = Path.Combine(dir, ClassifierFileName);
        var file = new SafeTensorsFile();
        ModuleState.AddTensors(file, classifier.StateDict());
        if (mean is not null && std is not null) ModuleState.AddTensors(file, [("feature_mean", mean), ("feature_std", std)]);
        var last = epochs[^1];
        foreach (var (k, v) in new Dictionary<string, string>
        {
            ["format"] = FormatValue,
            ["checkpoint"] = ckpt.Path,
            ["method"] = Get(ckpt, "method"),
            ["arch"] = ckpt.Arch,
            ["dataset"] = run.Dataset,
            ["feature_dim"] = dim.ToString(CultureInfo.InvariantCulture),
            ["num_classes"] = classes.ToString(CultureInfo.InvariantCulture),
            ["feature_norm"] = config.FeatureNorm,
            ["epochs"] = config.Epochs.ToString(CultureInfo.InvariantCulture),
            ["test_top1"] = last.TestTop1.ToString("R", CultureInfo.InvariantCulture),
            ["test_top5"] = last.TestTop5.ToString("R", CultureInfo.InvariantCulture),
            ["config"] = config.ToJson(),
        }) file.Metadata[k] = v;
        file.Write(classifierPath);
        return new LinearProbeResult(config, dir, classifierPath, Get(ckpt, "method"), ckpt.Arch, run.Dataset, dim, classes, n, testRows.Length, epochs,
            featureSeconds, clock.Elapsed.TotalSeconds);
    }

    private static string Get(TrainingCheckpoint ckpt, string key) => ckpt.Meta.TryGetValue(key, out var v) ? v : "?";

    /// <summary>
    /// Normalises both feature sets in place with statistics of the training features: standardize
    /// (x − mean)/√(var + 1e-5) per dimension (biased variance, as BatchNorm), l2 (unit rows), or
    /// nothing. Returns mean and std [D] for standardize (kept in the classifier's file).
    /// </summary>
    private static (Tensor? Mean, Tensor? Std) Normalise(string how, Tensor train, Tensor test)
    {
        var be = train.Backend;
        int n = train.Dim(0), d = train.Dim(1);
        using var noGrad = Tape.NoGrad();
        switch (how)
        {
            case "l2":
                be.Copy(Ops.L2Normalize(train), train);
                be.Copy(Ops.L2Normalize(test), test);
                return (null, null);
            case "standardize":
                var sum = Tensor.Empty(be, d);
                var sumSq = Tensor.Empty(be, d);
                var sq = train.EmptyLike();
                be.SumColumns(train, n, d, sum);
                be.Mul(train, train, sq);
                be.SumColumns(sq, n, d, sumSq);
                var s = sum.ToArray();
                var s2 = sumSq.ToArray();
                var meanHost = new float[d];
                var invHost = new float[d];
                var stdHost = new float[d];
                for (int j = 0; j < d; j++)
                {
                    double m = s[j] / (double)n;
                    double v = Math.Max(0, s2[j] / (double)n - m * m);
                    meanHost[j] = (float)m;
                    stdHost[j] = (float)Math.Sqrt(v + 1e-5);
                    invHost[j] = 1f / stdHost[j];
                }
                var mean = Tensor.FromArray(be, meanHost, d);
                var negMean = Tensor.FromArray(be, meanHost.Select(m => -m).ToArray(), d);
                var inv = Tensor.FromArray(be, invHost, d);
                foreach (var t in new[] { train, test })
                {
                    int rows = t.Dim(0);
                    be.AddRowVector(t, negMean, rows, d, t);
                    var scale = t.EmptyLike();
                    be.BroadcastRow(inv, 1f, rows, d, scale);
                    be.Mul(t, scale, t);
                }
                return (mean, Tensor.FromArray(be, stdHost, d));
            default:
                return (null, null);
        }
    }

    /// <summary>(1 − ε)·one-hot + ε/C per row [B, C].</summary>
    private static Tensor SmoothedTargets(IBackend be, ReadOnlySpan<int> labels, int classes, float epsilon)
    {
        var q = new float[labels.Length * classes];
        Array.Fill(q, epsilon / classes);
        for (int i = 0; i < labels.Length; i++) q[i * classes + labels[i]] += 1f - epsilon;
        return Tensor.FromArray(be, q, labels.Length, classes);
    }

    /// <summary>Top-1/top-5 of the classifier's logits on the (normalised) test features, in chunks of 1024.</summary>
    public static (double Top1, double Top5) Score(Nn.Module classifier, Tensor features, int[] labels, int classes)
    {
        var be = features.Backend;
        int q = features.Dim(0), d = features.Dim(1), k = Math.Min(5, classes);
        using var noGrad = Tape.NoGrad();
        int top1 = 0, top5 = 0;
        var ranked = new int[Math.Min(1024, q) * k];
        for (int q0 = 0; q0 < q; q0 += 1024)
        {
            using var scope = TensorScope.Begin();
            int rows = Math.Min(1024, q - q0);
            var x = Tensor.Empty(be, rows, d);
            be.CopyBlocks(features, (long)q0 * d, rows * (long)d, x, 0, rows * (long)d, rows * (long)d, 1);
            var logits = classifier.Forward(x);
            var values = Tensor.Empty(be, rows, k);
            using var indices = IntTensor.Empty(be, rows, k);
            be.TopKRows(logits, rows, classes, k, values, indices);
            be.CopyToHost(indices, ranked.AsSpan(0, rows * k));
            for (int r = 0; r < rows; r++)
            {
                var row = ranked.AsSpan(r * k, k);
                if (row[0] == labels[q0 + r]) top1++;
                if (row.Contains(labels[q0 + r])) top5++;
            }
        }
        return (top1 / (double)q, top5 / (double)q);
    }

    private static void WriteMetrics(string path, IReadOnlyList<ProbeEpoch> epochs)
    {
        var s = new StringBuilder(MetricsHeader).Append('\n');
        foreach (var e in epochs)
            s.Append(CultureInfo.InvariantCulture, $"{e.Epoch},{e.Loss:R},{e.Lr:R},{e.TrainTop1:R},{e.TestTop1:R},{e.TestTop5:R},{e.Seconds:0.000}\n");
        AtomicFile.WriteAllText(path, s.ToString());
    }
}
