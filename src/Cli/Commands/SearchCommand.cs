using System.CommandLine;
using System.Globalization;
using NativeContrastive.Engine.Inference;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Cli.Commands;

/// <summary>
/// `nc search`: the k nearest neighbours (cosine) in an embedding file of query images, embedded with
/// the checkpoint the index was made from; printed as a table per query and drawn as a PNG contact sheet.
/// </summary>
internal static class SearchCommand
{
    public static Command Create(CliContext context)
    {
        var index = new Option<string>("--index") { Description = "Embedding file made by nc embed.", Required = true };
        var query = new Option<string[]>("--query") { Description = "Query image files or folders.", Required = true, AllowMultipleArgumentsPerToken = true };
        var k = new Option<int>("-k", "--k") { Description = "Neighbours per query.", DefaultValueFactory = _ => 10 };
        k.Validators.Add(r => { if (Flags.TryValue(r, out int v) && v < 1) r.AddError($"-k must be ≥ 1, got {v}."); });
        var embedding = Flags.Choice("--embedding", "Which embedding to compare: the encoder's features or the head's output.", ["features", "head"], "features");
        var checkpoint = Flags.Text("--checkpoint", "Checkpoint to embed the queries with (default: the one recorded in the index, checked by its SHA-256).");
        var device = Flags.Choice("--device", "Compute device for the queries.", Engine.Backends.Devices.Names, "cpu");
        var precision = Flags.Precision();
        var sheet = Flags.Text("--sheet", "Contact sheet PNG (query, then its neighbours best first).", "INDEX-search.png beside the index");
        var noSheet = new Option<bool>("--no-sheet") { Description = "Print the neighbours only." };
        var excludeSelf = new Option<bool>("--exclude-self") { Description = "Skip index rows whose source is the query itself (querying an index with its own images)." };

        var command = new Command("search", "Find the nearest neighbours of query images in an embedding file (cosine); print them and draw a contact sheet.")
        {
            index, query, k, embedding, checkpoint, device, precision, sheet, noSheet, excludeSelf,
        };
        command.SetAction(parse =>
        {
            string indexPath = parse.GetValue(index)!;
            var set = EmbeddingSet.Read(indexPath);
            string which = parse.GetValue(embedding) ?? "features";
            string ckpt = EmbeddingSearch.CheckpointFor(set, indexPath, parse.GetValue(checkpoint));
            using var model = InferenceModel.Load(ckpt, parse.GetValue(device) ?? "cpu", parse.GetValue(precision));
            var input = EmbeddingInput.FromPaths(parse.GetValue(query)!, model.InChannels, model.ImageSize);
            var queries = Embedder.Embed(model, input);
            var results = EmbeddingSearch.Search(set, queries, which, parse.GetValue(k), parse.GetValue(excludeSelf));
            Print(results, set, queries, which, context.Out);
            if (!parse.GetValue(noSheet))
            {
                string png = parse.GetValue(sheet) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(indexPath))!, Path.GetFileNameWithoutExtension(indexPath) + "-search.png");
                var image = EmbeddingSearch.ImagesOf(set);
                var rows = results.Select(r => new ContactSheetRow(
                    EmbeddingSearch.FileImage(Path.Combine(input.Root!, r.QuerySource), model.InChannels),
                    r.Neighbors.Select(n => (image(n.Index), n.Score, SameLabel(queries, r.Query, set, n.Index))).ToList())).ToList();
                ContactSheet.Write(png, rows);
                context.Out.WriteLine($"wrote {png}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Whether the neighbour's class name equals the query's (null when either is unlabeled).</summary>
    private static bool? SameLabel(EmbeddingSet queries, int q, EmbeddingSet index, int i)
    {
        string a = queries.LabelName(q), b = index.LabelName(i);
        return a.Length == 0 || b.Length == 0 ? null : a == b;
    }

    public static void Print(IReadOnlyList<SearchResult> results, EmbeddingSet index, EmbeddingSet queries, string which, TextWriter o)
    {
        foreach (var r in results)
        {
            string label = queries.LabelName(r.Query);
            o.WriteLine(Inv($"query {r.Query + 1}: {r.QuerySource}{(label.Length > 0 ? $" ({label})" : "")} — {r.Neighbors.Count} nearest of {index.Count} by cosine of {which}"));
            var rows = r.Neighbors.Select((n, i) => new[] { Inv($"{i + 1}"), Inv($"{n.Score:0.0000}"), index.LabelName(n.Index), Inv($"{n.Index}"), index.Sources[n.Index] }).ToList();
            string[] header = ["rank", "score", "label", "index", "source"];
            var widths = Enumerable.Range(0, header.Length).Select(c => rows.Select(x => x[c].Length).Prepend(header[c].Length).Max()).ToArray();
            string Line(string[] cells) => "  " + string.Join("  ", cells.Select((s, c) => c < 2 || c == 3 ? s.PadLeft(widths[c]) : s.PadRight(widths[c]))).TrimEnd();
            o.WriteLine(Line(header));
            foreach (var row in rows) o.WriteLine(Line(row));
        }
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
