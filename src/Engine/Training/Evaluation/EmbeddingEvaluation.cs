using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Eval;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Training.Checkpointing;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Engine.Training.Runs;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Training.Evaluation;

/// <summary>
/// `nc eval`: the embeddings of a checkpoint BEFORE the method's head (the encoder's features)
/// and AFTER it (<see cref="Methods.ContrastiveMethod.Project"/>: SimCLR's projector, NPID's embed
/// head), each scored on the test split:
/// <list type="bullet">
/// <item>weighted kNN top-1/top-5 against the training images as the bank (as nc knn);</item>
/// <item>precision@1, R-precision, mAP@R within the test split (<see cref="RetrievalMetrics"/>,
/// pytorch-metric-learning's definitions, each query excluded from its own neighbours);</item>
/// <item>NMI and AMI of a k-means partition into as many clusters as the test split has classes
/// (<see cref="KMeans"/>, <see cref="ClusteringMetrics"/>);</item>
/// <item>a t-SNE picture of a seeded sample of the test embeddings (<see cref="Tsne"/>,
/// <see cref="EmbeddingPlot"/>).</item>
/// </list>
/// The method is rebuilt from the checkpoint's configuration and every tensor of it is loaded
/// (names and shapes checked), so the head is exactly the trained one. Every embedding row is
/// L2-normalised (cosine geometry throughout). Written into the checkpoint's folder (or
/// <see cref="EvalRequest.OutputDirectory"/>) through <see cref="AtomicFile"/>: metrics.json,
/// eval.csv and tsne-&lt;embedding&gt;.png.
/// </summary>
public static class EmbeddingEvaluation
{
    public const string MetricsJsonName = "metrics.json", CsvName = "eval.csv";
    public const string CsvHeader = "embedding,dim,knn_top1,knn_top5,precision_at_1,r_precision,map_at_r,nmi,ami";

    public static string TsneFileName(string embedding) => $"tsne-{embedding}.png";

    public static EvalReport Evaluate(EvalRequest request, CancellationToken cancellation = default, Action<string>? log = null)
    {
        var clock = Stopwatch.StartNew();
        if (request.BatchSize <= 0) throw new ArgumentException($"--batch-size must be > 0, got {request.BatchSize}.");
        if (request.TsneSamples < 0) throw new ArgumentException($"--tsne-samples must be ≥ 0, got {request.TsneSamples}.");
        if (request.KMeansRestarts < 1) throw new ArgumentException($"--kmeans-restarts must be ≥ 1, got {request.KMeansRestarts}.");
        var ckpt = TrainingCheckpoint.Read(request.CheckpointPath);
        var config = ckpt.Config with { DataPath = request.DataPath ?? ckpt.Config.DataPath, Device = request.Device ?? ckpt.Config.Device, Arch = ckpt.Arch };
        int k = request.K ?? config.KnnK;
        float temperature = request.Temperature ?? config.KnnTemperature;
        ulong seed = request.Seed ?? config.Seed;
        var precision = Precisions.Resolve(request.Precision, config.Device);
        var backend = Devices.Create(config.Device);
        using var precisionScope = Precisions.Use(backend, precision);

        // The training split as the run saw it (its size sizes NPID's bank), and as the kNN bank.
        var runTrain = RunComponents.LoadTrain(config, config.Limit);
        var bank = request.Limit == config.Limit ? runTrain : RunComponents.LoadTrain(config, request.Limit);
        var test = RunComponents.LoadTest(config)
            ?? throw new TrainingException($"{config.Dataset} at {config.DataPath}: no test split to evaluate on.");
        if (bank.Channels != ckpt.InChannels)
            throw new Checkpoints.CheckpointFormatException(ckpt.Path, $"expected in_channels {bank.Channels} (the channels of {bank.Name}), found {ckpt.InChannels}.");
        if (!bank.IsLabeled) throw new TrainingException($"eval: the training split of {bank.Name} has no labels for the kNN bank.");
        if (!test.IsLabeled) throw new TrainingException($"eval: the test split of {test.Name} has no labels to score against.");

        // A method trained on labels (SupCon, the supervised classifier) is rebuilt with the run's class count.
        using var method = RunComponents.CreateMethod(config, ckpt.InChannels, runTrain.Count, backend, runTrain.IsLabeled ? runTrain.NumClasses : 0);
        ckpt.Restore(method, optimizer: null);
        method.Train(false);
        log?.Invoke($"eval: {method.Name} {ckpt.Arch} of {ckpt.Path} (epoch {ckpt.Epoch}) on {config.Device}: bank {bank.Count} {bank.Name} train images, {test.Count} test images");

        var bankRows = LabeledRows(bank);
        var testRows = LabeledRows(test);
        var bankLabels = bankRows.Select(i => bank.Labels[i]).ToArray();
        var testLabels = testRows.Select(i => test.Labels[i]).ToArray();
        int classes = Math.Max(bank.NumClasses, test.NumClasses);
        int clusters = testLabels.Distinct().Count();
        string outDir = Path.GetFullPath(request.OutputDirectory ?? Path.GetDirectoryName(ckpt.Path)!);

        using var scope = TensorScope.Begin();
        Tensor bankEnc, testEnc;
        Tensor? bankHead, testHead;
        try
        {
            using (var bankData = new ResidentDataset(bank, backend))
                (bankEnc, bankHead) = FeatureExtractor.ExtractWithHead(method.Encoder, method.Project, bankData, request.BatchSize, ckpt.ImageSize,
                    bank.Normalization, bankRows);
            cancellation.ThrowIfCancellationRequested();
            using (var testData = new ResidentDataset(test, backend))
                (testEnc, testHead) = FeatureExtractor.ExtractWithHead(method.Encoder, method.Project, testData, request.BatchSize, ckpt.ImageSize,
                    bank.Normalization, testRows);
        }
        catch (NonFiniteFeaturesException e) { throw ckpt.Overflowed(e); }
        cancellation.ThrowIfCancellationRequested();
        log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"eval: features of {bankRows.Length + testRows.Length} images in {clock.Elapsed.TotalSeconds:0.0}s"));

        var embeddings = new List<(string Name, Tensor Bank, Tensor Test)> { ("encoder", bankEnc, testEnc) };
        if (bankHead is not null && testHead is not null) embeddings.Add(("head", bankHead, testHead));

        // One t-SNE sample for every embedding, so the pictures show the same images.
        int samples = Math.Min(request.TsneSamples, testRows.Length);
        int[] sample = samples >= 2 ? EvalStreams.Create(seed, EvalStreams.TsneSample).Permutation(testRows.Length)[..samples].Order().ToArray() : [];

        var scores = new List<EmbeddingScores>();
        var pictures = new List<string>();
        int lone = 0;
        foreach (var (name, bankF, testF) in embeddings)
        {
            int dim = testF.Dim(1);
            var stage = Stopwatch.StartNew();
            var times = new List<string>();
            void Lap(string what) { times.Add(string.Create(CultureInfo.InvariantCulture, $"{what} {stage.Elapsed.TotalSeconds:0.0}s")); stage.Restart(); }
            var knn = KnnEvaluator.Evaluate(bankF, bankLabels, testF, testLabels, classes, k, temperature);
            Lap("knn");
            cancellation.ThrowIfCancellationRequested();
            var retrieval = RetrievalMetrics.Evaluate(testF, testLabels);
            lone = retrieval.LoneQueries;
            Lap("retrieval");
            cancellation.ThrowIfCancellationRequested();
            var km = KMeans.Fit(testF, clusters, seed, restarts: request.KMeansRestarts);
            double nmi = ClusteringMetrics.Nmi(testLabels, km.Assignments), ami = ClusteringMetrics.Ami(testLabels, km.Assignments);
            Lap($"k-means ({km.Iterations} iterations)");
            cancellation.ThrowIfCancellationRequested();
            double kl = double.NaN;
            if (sample.Length >= 2)
            {
                var all = testF.ToArray();
                var rows = new float[sample.Length * dim];
                for (int i = 0; i < sample.Length; i++) Array.Copy(all, (long)sample[i] * dim, rows, (long)i * dim, dim);
                double perplexity = Math.Min(request.TsnePerplexity, (sample.Length - 1) / 3.0);
                var t = Tsne.Fit(rows, sample.Length, dim, new TsneOptions { Perplexity = perplexity, Iterations = request.TsneIterations, Seed = seed });
                kl = t.KlDivergence;
                string png = Path.Combine(outDir, TsneFileName(name));
                EmbeddingPlot.Write(png, t.Y, sample.Select(i => testLabels[i]).ToArray(), test.ClassNames,
                    $"{method.Name} {ckpt.Arch}, epoch {ckpt.Epoch}: t-SNE of {sample.Length} {test.Name} test images, {(name == "encoder" ? "encoder features" : "after the head")} ({dim}-d)");
                pictures.Add(png);
                Lap("t-SNE");
                cancellation.ThrowIfCancellationRequested();
            }
            scores.Add(new EmbeddingScores(name, dim, knn.Top1, knn.Top5, retrieval.PrecisionAt1, retrieval.RPrecision, retrieval.MapAtR, nmi, ami, km.Iterations, kl));
            log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"eval: {name} ({dim}-d): {string.Join(", ", times)}"));
        }

        var report = new EvalReport(ckpt.Path, ckpt.Epoch, method.Name, ckpt.Arch, config.Dataset, config.Device, k, temperature, testRows.Length, bankRows.Length,
            clusters, lone, scores, Path.Combine(outDir, MetricsJsonName), Path.Combine(outDir, CsvName), pictures, clock.Elapsed.TotalSeconds);
        Write(report, request, seed);
        return report;
    }

    private static int[] LabeledRows(ImageDataset ds) => Enumerable.Range(0, ds.Count).Where(i => ds.Labels[i] >= 0).ToArray();

    /// <summary>metrics.json (everything, nested by embedding) and eval.csv (one row per embedding), atomically.</summary>
    private static void Write(EvalReport r, EvalRequest request, ulong seed)
    {
        var embeddings = new JsonObject();
        foreach (var e in r.Embeddings)
            embeddings[e.Embedding] = new JsonObject
            {
                ["dim"] = e.Dim,
                ["knn_top1"] = e.KnnTop1,
                ["knn_top5"] = e.KnnTop5,
                ["precision_at_1"] = e.PrecisionAt1,
                ["r_precision"] = e.RPrecision,
                ["map_at_r"] = e.MapAtR,
                ["nmi"] = e.Nmi,
                ["ami"] = e.Ami,
                ["kmeans_iterations"] = e.KMeansIterations,
                ["tsne_kl"] = double.IsFinite(e.TsneKl) ? e.TsneKl : null,
            };
        var json = new JsonObject
        {
            ["checkpoint"] = r.CheckpointPath,
            ["epoch"] = r.Epoch,
            ["method"] = r.Method,
            ["arch"] = r.Arch,
            ["dataset"] = r.Dataset,
            ["device"] = r.Device,
            ["test_images"] = r.TestCount,
            ["bank_images"] = r.BankCount,
            ["classes"] = r.Classes,
            ["lone_queries"] = r.LoneQueries,
            ["knn_k"] = r.K,
            ["knn_temperature"] = r.Temperature,
            ["seed"] = seed,
            ["kmeans_restarts"] = request.KMeansRestarts,
            ["tsne_samples"] = r.Pictures.Count > 0 ? Math.Min(request.TsneSamples, r.TestCount) : 0,
            ["tsne_perplexity"] = request.TsnePerplexity,
            ["pictures"] = new JsonArray(r.Pictures.Select(p => (JsonNode)Path.GetFileName(p)!).ToArray()),
            ["embeddings"] = embeddings,
            ["seconds"] = Math.Round(r.Seconds, 3),
        };
        AtomicFile.WriteAllText(r.MetricsJsonPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        var csv = new StringBuilder(CsvHeader).Append('\n');
        foreach (var e in r.Embeddings)
            csv.Append(CultureInfo.InvariantCulture, $"{e.Embedding},{e.Dim},{F(e.KnnTop1)},{F(e.KnnTop5)},{F(e.PrecisionAt1)},{F(e.RPrecision)},{F(e.MapAtR)},{F(e.Nmi)},{F(e.Ami)}\n");
        AtomicFile.WriteAllText(r.CsvPath, csv.ToString());
    }

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
