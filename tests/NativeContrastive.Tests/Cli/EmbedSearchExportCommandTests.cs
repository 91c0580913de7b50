using System.Globalization;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Inference;
using NativeContrastive.Tests.Data;
using NUnit.Framework;
using StbImageWriteSharp;

namespace NativeContrastive.Tests.Cli;

/// <summary>
/// `nc embed`, `nc search` and `nc export` end to end on a tiny Fashion-MNIST-format data set with a
/// one-epoch SimCLR checkpoint (small encoder, 28×28: no resizing, so a query PNG of a test image is
/// that image exactly).
/// </summary>
[NonParallelizable]
public class EmbedSearchExportCommandTests
{
    private static TempDir data = null!, run = null!;

    [OneTimeSetUp]
    public void TrainTinyRun()
    {
        data = new TempDir();
        DatasetWriters.FashionMnist(data.Path, trainCount: 60, testCount: 40);
        run = new TempDir();
        var r = CliRunner.Run("train", "--method", "simclr", "--data", data.Path, "--out", run.Path, "--epochs", "1",
            "--batch-size", "20", "--limit", "60", "--knn-k", "5", "--seed", "4", "--no-online-probe");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
    }

    [OneTimeTearDown]
    public void Remove()
    {
        data.Dispose();
        run.Dispose();
    }

    private static EmbeddingSet Embed(TempDir dir, string name, params string[] extra)
    {
        string file = Path.Combine(dir.Path, name);
        var r = CliRunner.Run(["embed", "--checkpoint", run.Path, "--data", data.Path, "--out", file, .. extra]);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        return EmbeddingSet.Read(file);
    }

    [Test]
    public void EmbedWritesFeaturesHeadLabelsSourcesAndTheModel()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "sub", "test.safetensors");
        var r = CliRunner.Run("embed", "--checkpoint", run.Path, "--data", data.Path, "--out", file, "--batch-size", "16");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        Assert.That(r.ErrorLines[0], Does.StartWith("embed: simclr small of ").And.EndWith("on cpu (fp32): 40 images (fashion-mnist, 1×28×28 → 28×28)"));
        Assert.That(r.ErrorLines[1..].Select(l => l.Split(" (")[0]), Is.EqualTo(new[] { "embed: 16/40 images", "embed: 32/40 images", "embed: 40/40 images" }));
        Assert.That(r.ErrorLines[^1], Does.Match(@"^embed: 40/40 images \(100%, \d+\.\ds\)$"));
        Assert.That(r.OutLines[0], Does.StartWith("embed: 40 images → features 40×128, head 40×128; wrote " + file));
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(file)!), Is.EqualTo(new[] { file }), "no temp file left behind");

        var set = EmbeddingSet.Read(file);
        var test = DatasetCatalog.Load("fashion-mnist", data.Path, DataSplit.Test);
        Assert.That(set.Count, Is.EqualTo(40));
        Assert.That((set.FeatureDim, set.HeadDim), Is.EqualTo((128, 128)));
        Assert.That(set.Features, Has.Length.EqualTo(40 * 128));
        Assert.That(set.Labels, Is.EqualTo(test.Labels));
        Assert.That(set.Sources, Is.EqualTo(Enumerable.Range(0, 40).Select(i => $"fashion-mnist:test:{i}")));
        Assert.That(set.ClassNames, Is.EqualTo(MnistReader.FashionClassNames));
        Assert.That(set.Metadata["checkpoint"], Is.EqualTo(Path.Combine(run.Path, "last.safetensors")));
        Assert.That(set.Metadata["checkpoint_sha256"], Is.EqualTo(InferenceModel.FileSha256(Path.Combine(run.Path, "last.safetensors"))));
        Assert.That(set.Metadata["method"], Is.EqualTo("simclr"));
        Assert.That(set.Features.Select(Math.Abs).Max(), Is.GreaterThan(0f));

        // The features are the encoder's, the head outputs the projector's, of the eval-mode network.
        using var model = InferenceModel.Load(run.Path, "cpu");
        var norm = model.Normalization;
        var x = new float[2 * 28 * 28];
        for (int n = 0; n < 2; n++)
            for (int p = 0; p < 784; p++) x[n * 784 + p] = (test.Pixels[n * 784 + p] / 255f - norm.Mean[0]) / norm.Std[0];
        var (f, h) = Embedder.RunNormalized(model, x, 2);
        Assert.That(MaxAbsDiff(f, set.Features[..(2 * 128)]), Is.LessThanOrEqualTo(1e-5));
        Assert.That(MaxAbsDiff(h!, set.Head![..(2 * 128)]), Is.LessThanOrEqualTo(1e-5));
    }

    [Test]
    public void EmbeddingsAreDeterministicAndDoNotDependOnTheBatchSize()
    {
        using var dir = new TempDir();
        var a = Embed(dir, "a.safetensors", "--split", "train", "--limit", "30");
        var b = Embed(dir, "b.safetensors", "--split", "train", "--limit", "30");
        var c = Embed(dir, "c.safetensors", "--split", "train", "--limit", "30", "--batch-size", "7");
        Assert.That(a.Count, Is.EqualTo(30));
        Assert.That(b.Features, Is.EqualTo(a.Features));
        Assert.That(b.Head, Is.EqualTo(a.Head));
        Assert.That(File.ReadAllBytes(Path.Combine(dir.Path, "b.safetensors")), Is.EqualTo(File.ReadAllBytes(Path.Combine(dir.Path, "a.safetensors"))));
        Assert.That(MaxAbsDiff(c.Features, a.Features), Is.LessThanOrEqualTo(1e-5));
        Assert.That(a.Sources[0], Is.EqualTo("fashion-mnist:train:0"));
    }

    [Test]
    public void CpuAndEmuGiveTheSameEmbeddings()
    {
        using var dir = new TempDir();
        var cpu = Embed(dir, "cpu.safetensors", "--limit", "3", "--device", "cpu");
        var emu = Embed(dir, "emu.safetensors", "--limit", "3", "--device", "emu");
        Assert.That(emu.Metadata["device"], Is.EqualTo("emu"));
        double df = MaxAbsDiff(cpu.Features, emu.Features), dh = MaxAbsDiff(cpu.Head!, emu.Head!);
        TestContext.Progress.WriteLine($"embed cpu vs emu, 3 images: features max |Δ| = {df:E2}, head max |Δ| = {dh:E2}");
        Assert.That(df, Is.LessThanOrEqualTo(1e-4));
        Assert.That(dh, Is.LessThanOrEqualTo(1e-4));
    }

    [Test]
    public void NpyOutputsAreNumPyArrays()
    {
        using var dir = new TempDir();
        string file = Path.Combine(dir.Path, "e.npy");
        var r = CliRunner.Run("embed", "--checkpoint", run.Path, "--data", data.Path, "--out", file, "--limit", "5");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        var (shape, descr, payload) = ReadNpy(file);
        Assert.That((descr, shape), Is.EqualTo(("<f4", "(5, 128)")));
        Assert.That(payload, Has.Length.EqualTo(5 * 128 * 4));
        var (lshape, ldescr, lpayload) = ReadNpy(Path.Combine(dir.Path, "e.labels.npy"));
        Assert.That((ldescr, lshape), Is.EqualTo(("<i8", "(5,)")));
        var labels = Enumerable.Range(0, 5).Select(i => BitConverter.ToInt64(lpayload, 8 * i)).ToArray();
        Assert.That(labels, Is.EqualTo(DatasetCatalog.Load("fashion-mnist", data.Path, DataSplit.Test, 5).Labels.Select(l => (long)l)));
        Assert.That(ReadNpy(Path.Combine(dir.Path, "e.head.npy")).Shape, Is.EqualTo("(5, 128)"));
        Assert.That(File.ReadAllLines(Path.Combine(dir.Path, "e.sources.txt")), Has.Length.EqualTo(5));
        Assert.That(File.Exists(Path.Combine(dir.Path, "e.safetensors")), Is.False);
    }

    [Test]
    public void EmbedsAnImageFolderWithLabelsFromItsSubFolders()
    {
        using var dir = new TempDir();
        var test = DatasetCatalog.Load("fashion-mnist", data.Path, DataSplit.Test);
        string images = dir.Sub("images");
        WritePng(Path.Combine(dir.Sub("images", "Trouser"), "a.png"), test, 1);
        WritePng(Path.Combine(dir.Sub("images", "Bag"), "b.png"), test, 8);
        WritePng(Path.Combine(dir.Sub("images", "Bag"), "c.png"), test, 18);
        string file = Path.Combine(dir.Path, "f.safetensors");
        var r = CliRunner.Run("embed", "--checkpoint", run.Path, "--images", images, "--out", file);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        var set = EmbeddingSet.Read(file);
        Assert.That(set.Sources, Is.EqualTo(new[] { Path.Combine("Bag", "b.png"), Path.Combine("Bag", "c.png"), Path.Combine("Trouser", "a.png") }));
        Assert.That(set.Labels, Is.EqualTo(new[] { 0, 0, 1 }));
        Assert.That(set.ClassNames, Is.EqualTo(new[] { "Bag", "Trouser" }));
        Assert.That(set.Metadata["source_kind"], Is.EqualTo("files"));

        // The same pixels as the data set's images: the same embeddings.
        var ds = Embed(dir, "d.safetensors", "--limit", "19");
        Assert.That(MaxAbsDiff(set.Features[..128], ds.Features[(8 * 128)..(9 * 128)]), Is.LessThanOrEqualTo(1e-6));
        Assert.That(MaxAbsDiff(set.Features[(2 * 128)..], ds.Features[128..256]), Is.LessThanOrEqualTo(1e-6));

        var bad = CliRunner.Run("embed", "--checkpoint", run.Path, "--images", Path.Combine(dir.Path, "missing.png"), "--out", file);
        Assert.That(bad.ExitCode, Is.EqualTo(1));
        Assert.That(bad.Error, Does.StartWith("nc: error:").And.Contain("missing.png"));
    }

    [Test]
    public void SearchFindsTheQueryImageFirstPrintsTheTableAndDrawsTheSheet()
    {
        using var dir = new TempDir();
        var index = Embed(dir, "index.safetensors");
        var test = DatasetCatalog.Load("fashion-mnist", data.Path, DataSplit.Test);
        // Query folder named like the classes, so labels compare.
        WritePng(Path.Combine(dir.Sub("q", test.ClassNames[test.Labels[3]]), "q3.png"), test, 3);
        WritePng(Path.Combine(dir.Sub("q", test.ClassNames[test.Labels[17]]), "q17.png"), test, 17);
        string sheet = Path.Combine(dir.Path, "sheet.png");
        var r = CliRunner.Run("search", "--index", Path.Combine(dir.Path, "index.safetensors"), "--query", Path.Combine(dir.Path, "q"), "-k", "3", "--sheet", sheet);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        var lines = r.OutLines;
        int q3 = Array.FindIndex(lines, l => l.Contains("q3.png"));
        int q17 = Array.FindIndex(lines, l => l.Contains("q17.png"));
        Assert.That(q3, Is.GreaterThanOrEqualTo(0), r.Out);
        Assert.That(lines[q3], Does.Contain($"({test.ClassNames[test.Labels[3]]})").And.Contain("3 nearest of 40 by cosine of features"));
        Assert.That(lines[q3 + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "rank", "score", "label", "index", "source" }));
        Assert.That(lines[q3 + 2], Does.Match(@"^\s+1\s+1\.0000\s+.*\s3\s+fashion-mnist:test:3$"));
        Assert.That(lines[q17 + 2], Does.Match(@"^\s+1\s+1\.0000\s+.*\s17\s+fashion-mnist:test:17$"));
        Assert.That(lines[^1], Is.EqualTo($"wrote {sheet}"));

        // Ranks come out in falling score order.
        var scores = lines.Skip(q3 + 2).Take(3).Select(l => double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).ToArray();
        Assert.That(scores, Is.Ordered.Descending);

        // Sheet: 2 rows of query + 3 neighbours; the best neighbour (the image itself) framed green.
        var png = StbImageSharp.ImageResult.FromMemory(File.ReadAllBytes(sheet), StbImageSharp.ColorComponents.RedGreenBlue);
        Assert.That((png.Width, png.Height), Is.EqualTo((6 + 4 * 96 + 6, 6 + 2 * 103)));
        int at = (6 * png.Width + 2 * 6 + 96 + 1) * 3; // top border of the first neighbour of row 1
        Assert.That(png.Data[at..(at + 3)], Is.EqualTo(new byte[] { 30, 160, 60 }));
        at = (6 * png.Width + 6 + 1) * 3; // the query's frame
        Assert.That(png.Data[at..(at + 3)], Is.EqualTo(new byte[] { 40, 90, 220 }));
    }

    [Test]
    public void SearchRefusesACheckpointThatChangedSinceTheIndex()
    {
        using var dir = new TempDir();
        var index = Embed(dir, "index.safetensors", "--limit", "4");
        var meta = new Dictionary<string, string>(index.Metadata) { ["checkpoint_sha256"] = new string('0', 64) };
        var tampered = new EmbeddingSet(index.Count, index.Features, index.FeatureDim, index.Head, index.HeadDim, index.Labels, index.Sources, index.ClassNames, meta);
        var e = Assert.Throws<ArgumentException>(() => EmbeddingSearch.CheckpointFor(tampered, "x.safetensors", null));
        Assert.That(e!.Message, Does.Contain("changed since the index was made"));
        Assert.That(EmbeddingSearch.CheckpointFor(index, "x.safetensors", null), Is.EqualTo(Path.Combine(run.Path, "last.safetensors")));
        Assert.That(EmbeddingSearch.CheckpointFor(tampered, "x.safetensors", "/given.safetensors"), Is.EqualTo("/given.safetensors"));

        tampered.Write(Path.Combine(dir.Path, "t.safetensors"));
        var r = CliRunner.Run("search", "--index", Path.Combine(dir.Path, "t.safetensors"), "--query", Path.Combine(dir.Path, "t.safetensors"));
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.Error, Does.StartWith("nc: error:").And.Contain("changed since the index was made"));
    }

    [Test]
    public void ExportedModelWithHeadMatchesTheEmbeddingsInOnnxRuntime()
    {
        using var dir = new TempDir();
        string onnx = Path.Combine(dir.Path, "m.onnx");
        var r = CliRunner.Run("export", "--checkpoint", run.Path, "--onnx", onnx, "--with-head");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.Error);
        Assert.That(r.OutLines[0], Does.StartWith($"export: simclr small → {onnx}").And.Contain("opset 17").And.Contain("outputs features, head"));

        using var model = InferenceModel.Load(run.Path, "cpu");
        var test = DatasetCatalog.Load("fashion-mnist", data.Path, DataSplit.Test, 4);
        var x = test.Pixels.Select(p => (p / 255f - model.Normalization.Mean[0]) / model.Normalization.Std[0]).ToArray();
        var (f, h) = Embedder.RunNormalized(model, x, 4);
        using var session = new InferenceSession(onnx);
        Assert.That(session.ModelMetadata.CustomMetadataMap["method"], Is.EqualTo("simclr"));
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(x, [4, 1, 28, 28]))]);
        double df = MaxAbsDiff(f, results.First(v => v.Name == "features").AsEnumerable<float>().ToArray());
        double dh = MaxAbsDiff(h!, results.First(v => v.Name == "head").AsEnumerable<float>().ToArray());
        TestContext.Progress.WriteLine($"nc export simclr small checkpoint: features max |Δ| = {df:E2}, head max |Δ| = {dh:E2}");
        Assert.That(df, Is.LessThanOrEqualTo(1e-4));
        Assert.That(dh, Is.LessThanOrEqualTo(1e-4));
    }

    internal static void WritePng(string path, ImageDataset ds, int index)
    {
        using var fs = File.Create(path);
        new ImageWriter().WritePng(ds.Image(index).ToArray(), ds.Width, ds.Height, StbImageWriteSharp.ColorComponents.Grey, fs);
    }

    private static (string Shape, string Descr, byte[] Payload) ReadNpy(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.That(bytes[..6], Is.EqualTo(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' }));
        int len = bytes[8] | bytes[9] << 8;
        Assert.That((10 + len) % 64, Is.EqualTo(0));
        string header = Encoding.ASCII.GetString(bytes, 10, len);
        Assert.That(header, Does.EndWith("\n").And.Contain("'fortran_order': False"));
        string descr = header.Split("'descr': '")[1].Split('\'')[0];
        string shape = header.Split("'shape': ")[1].Split(')')[0] + ")";
        return (shape, descr, bytes[(10 + len)..]);
    }

    private static double MaxAbsDiff(float[] a, float[] b)
    {
        Assert.That(b, Has.Length.EqualTo(a.Length));
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs((double)a[i] - b[i]));
        return m;
    }
}
