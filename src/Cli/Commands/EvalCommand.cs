using System.CommandLine;
using System.Globalization;
using NativeContrastive.Engine.Training.Configuration;
using NativeContrastive.Engine.Training.Evaluation;
using NativeContrastive.Engine.Training.Runs;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Cli.Commands;

/// <summary>
/// `nc eval`: the embeddings of a checkpoint before and after the method's head, scored on the
/// test split (weighted kNN against the training bank, precision@1, R-precision, mAP@R, NMI and AMI
/// of k-means) with a t-SNE picture each (<see cref="EmbeddingEvaluation"/>). Prints a table and
/// writes metrics.json, eval.csv and tsne-*.png next to the checkpoint (or into --out).
/// </summary>
internal static class EvalCommand
{
    public static Command Create(CliContext context)
    {
        var d = new TrainingConfig();
        var checkpoint = Flags.NonEmpty(new Option<string>("--checkpoint") { Description = "Checkpoint file or run folder.", Required = true });
        var device = Flags.Choice("--device", "Compute device.", Engine.Backends.Devices.Names, "the device the run was trained on");
        var precision = Flags.Precision();
        var data = Flags.Text("--data", "Data directory (default: the one recorded in the checkpoint, else the installed location).");
        var k = Flags.Int("--k", "kNN neighbours.", 1, $"the run's --knn-k, {d.KnnK}");
        var temperature = Flags.Float("--temperature", "kNN weight temperature τ (weights exp(s/τ)).", 0, true, $"the run's --knn-temperature, {d.KnnTemperature}");
        var limit = Flags.Int("--limit", "Use the first N training images as the kNN bank (0: all).", 0, "all");
        var batch = Flags.Int("--batch-size", "Images per forward pass during feature extraction.", 1, EvalRequest.DefaultBatchSize);
        var tsne = Flags.Int("--tsne-samples", "Test images in each t-SNE picture, a seeded sample (0: no picture).", 0, EvalRequest.DefaultTsneSamples);
        var perplexity = Flags.Float("--perplexity", "t-SNE perplexity.", 0, true, 30f);
        var restarts = Flags.Int("--kmeans-restarts", "k-means runs from different k-means++ seedings; the lowest inertia is scored.", 1, 1);
        var seed = new Option<ulong>("--seed") { Description = "Seed of k-means and of the t-SNE sample and start. [default: the run's seed]" };
        var output = Flags.Text("--out", "Directory for metrics.json, eval.csv and the pictures (default: the checkpoint's folder).");

        var command = new Command("eval", "Score a checkpoint's embeddings before and after its head (kNN, precision@1, R-precision, mAP@R, NMI, AMI) and draw t-SNE pictures.")
        {
            checkpoint, device, precision, data, k, temperature, limit, batch, tsne, perplexity, restarts, seed, output,
        };
        command.SetAction(parse =>
        {
            bool Given(Option o) => parse.GetResult(o) is { Implicit: false };
            var request = new EvalRequest(RunFolder.ResolveCheckpoint(parse.GetValue(checkpoint)!))
            {
                Device = Given(device) ? parse.GetValue(device) : null,
                Precision = parse.GetValue(precision),
                DataPath = parse.GetValue(data),
                K = Given(k) ? parse.GetValue(k) : null,
                Temperature = Given(temperature) ? parse.GetValue(temperature) : null,
                Limit = parse.GetValue(limit) is int l && l > 0 ? l : null,
                BatchSize = Given(batch) ? parse.GetValue(batch) : EvalRequest.DefaultBatchSize,
                TsneSamples = Given(tsne) ? parse.GetValue(tsne) : EvalRequest.DefaultTsneSamples,
                TsnePerplexity = Given(perplexity) ? parse.GetValue(perplexity) : 30,
                KMeansRestarts = Given(restarts) ? parse.GetValue(restarts) : 1,
                Seed = Given(seed) ? parse.GetValue(seed) : null,
                OutputDirectory = parse.GetValue(output),
            };
            var report = EmbeddingEvaluation.Evaluate(request, context.Cancellation, msg => context.Error.WriteLine(msg));
            Print(report, context.Out);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static void Print(EvalReport r, TextWriter o)
    {
        o.WriteLine(Inv($"eval: {r.Method} {r.Arch} epoch {r.Epoch} on {r.Dataset}: {r.TestCount} test images ({r.Classes} classes{(r.LoneQueries > 0 ? $", {r.LoneQueries} lone queries not scored" : "")}), kNN bank {r.BankCount} train images, k={r.K} t={r.Temperature:G}"));
        string[] header = ["embedding", "dim", "knn top1", "knn top5", "P@1", "R-prec", "mAP@R", "NMI", "AMI"];
        var rows = r.Embeddings.Select(e => new[]
        {
            e.Embedding, Inv($"{e.Dim}"), Pct(e.KnnTop1), Pct(e.KnnTop5), Pct(e.PrecisionAt1), Pct(e.RPrecision), Pct(e.MapAtR),
            Inv($"{e.Nmi:0.0000}"), Inv($"{e.Ami:0.0000}"),
        }).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(c => rows.Select(x => x[c].Length).Prepend(header[c].Length).Max()).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((s, c) => c == 0 ? s.PadRight(widths[c]) : s.PadLeft(widths[c]))).TrimEnd();
        o.WriteLine(Line(header));
        o.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows) o.WriteLine(Line(row));
        var files = new[] { r.MetricsJsonPath, r.CsvPath }.Concat(r.Pictures).Select(Relative);
        o.WriteLine(Inv($"wrote {string.Join(", ", files)} ({TrainCommand.Duration(TimeSpan.FromSeconds(r.Seconds))})"));
    }

    private static string Pct(double v) => Inv($"{100 * v:0.00}%");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Relative(string path)
    {
        string rel = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return rel.StartsWith("..", StringComparison.Ordinal) ? path : rel;
    }
}
