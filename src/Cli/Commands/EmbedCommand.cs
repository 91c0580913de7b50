using System.CommandLine;
using System.Globalization;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Inference;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Cli.Commands;

/// <summary>
/// `nc embed`: embeddings of a data set split (the data-set flags of nc train) or of image files and
/// folders (--images) with a checkpoint: encoder features and head outputs, labels and sources, as a
/// safetensors file (and/or .npy files), written atomically. Progress on stderr.
/// </summary>
internal static class EmbedCommand
{
    public static Command Create(CliContext context)
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint file or run folder.", Required = true };
        var output = new Option<string>("--out") { Description = "Embedding file: FILE.safetensors, or FILE.npy for NumPy arrays (FILE.npy, FILE.head.npy, FILE.labels.npy, FILE.sources.txt).", Required = true };
        var dataset = Flags.Choice("--dataset", "Data set to embed.", DatasetCatalog.Names, "the checkpoint's");
        var data = Flags.Text("--data", "Data directory (default: the checkpoint's when the data set is its own, else the installed location).");
        var split = Flags.Choice("--split", "Split of the data set.", ["train", "test", "unlabeled"], "test");
        var limit = Flags.Int("--limit", "Embed the first N images (0: all).", 0, "all");
        var images = new Option<string[]>("--images") { Description = "Image files or folders to embed instead of a data set (folders: class sub-folders give labels).", AllowMultipleArgumentsPerToken = true };
        var device = Flags.Choice("--device", "Compute device.", Engine.Backends.Devices.Names, "the device the run was trained on");
        var precision = Flags.Precision();
        var batch = Flags.Int("--batch-size", "Images per forward pass.", 1, Embedder.DefaultBatchSize);
        var npy = new Option<bool>("--npy") { Description = "Also write .npy files beside a .safetensors output (FILE.npy, FILE.head.npy, FILE.labels.npy, FILE.sources.txt)." };

        var command = new Command("embed", "Embed a data set or image files with a checkpoint (encoder features and head outputs) into a safetensors or .npy file.")
        {
            checkpoint, output, dataset, data, split, limit, images, device, precision, batch, npy,
        };
        command.SetAction(parse =>
        {
            bool Given(Option o) => parse.GetResult(o) is { Implicit: false };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var model = InferenceModel.Load(parse.GetValue(checkpoint)!, Given(device) ? parse.GetValue(device) : null, parse.GetValue(precision));
            int? lim = parse.GetValue(limit) is int l && l > 0 ? l : null;
            EmbeddingInput input;
            if (parse.GetValue(images) is { Length: > 0 } paths)
            {
                if (Given(dataset) || Given(split)) throw new ArgumentException("--images embeds files; --dataset and --split choose a data set instead. Give one or the other.");
                input = EmbeddingInput.FromPaths(paths, model.InChannels, model.ImageSize, lim);
            }
            else
            {
                var cfg = model.Checkpoint.Config;
                string name = Given(dataset) ? parse.GetValue(dataset)! : cfg.Dataset;
                bool own = DatasetCatalog.Canonical(name) == DatasetCatalog.Canonical(cfg.Dataset);
                string? path = parse.GetValue(data) ?? (own ? cfg.DataPath : null);
                var s = Enum.Parse<DataSplit>(Given(split) ? parse.GetValue(split)! : "test", ignoreCase: true);
                input = EmbeddingInput.FromDataset(name, path, s, lim, model.InChannels, model.ImageSize);
            }
            context.Error.WriteLine($"embed: {model.MethodName} {model.Arch} of {model.Checkpoint.Path} on {model.Device} ({Precisions.Format(model.Precision)}): {input.Images.Count} images ({input.Images.Name}, {input.Images.Channels}×{input.Images.Height}×{input.Images.Width} → {model.ImageSize}×{model.ImageSize})");
            int lastDecile = -1;
            var set = Embedder.Embed(model, input, parse.GetValue(batch) is int b && b > 0 ? b : Embedder.DefaultBatchSize, (done, total) =>
            {
                int decile = (int)(10L * done / total);
                if (decile == lastDecile && done < total) return;
                lastDecile = decile;
                context.Error.WriteLine(Inv($"embed: {done}/{total} images ({100.0 * done / total:0}%, {clock.Elapsed.TotalSeconds:0.0}s)"));
            }, context.Cancellation);

            string outPath = parse.GetValue(output)!;
            var written = new List<string>();
            if (outPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)) written.AddRange(set.WriteNpy(outPath));
            else
            {
                set.Write(outPath);
                written.Add(outPath);
                if (parse.GetValue(npy)) written.AddRange(set.WriteNpy(Path.ChangeExtension(outPath, ".npy")));
            }
            context.Out.WriteLine(Inv($"embed: {set.Count} images → features {set.Count}×{set.FeatureDim}{(set.Head is null ? "" : Inv($", head {set.Count}×{set.HeadDim}"))}; wrote {string.Join(", ", written)} ({clock.Elapsed.TotalSeconds:0.0}s)"));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
