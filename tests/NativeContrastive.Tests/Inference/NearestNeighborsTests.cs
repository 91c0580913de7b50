using NativeContrastive.Engine.Checkpoints;
using NativeContrastive.Engine.Inference;
using NativeContrastive.Tests.Data;
using NUnit.Framework;

namespace NativeContrastive.Tests.Inference;

/// <summary>Cosine ranking on hand-made embeddings, the search over embedding sets, and the embedding file format.</summary>
public class NearestNeighborsTests
{
    // Rows: 0 → (1, 0); 1 → (0, 1); 2 → (1, 1)/√2 direction; 3 → (−1, 0); 4 → (2, 0), the same direction as row 0; 5 → zero.
    private static readonly float[] Index = [1, 0, 0, 1, 1, 1, -1, 0, 2, 0, 0, 0];

    [Test]
    public void RanksByCosineWithTiesToTheLowerRow()
    {
        var nn = NearestNeighbors.Search(Index, 2, [3f, 0.3f], 6);
        Assert.That(nn.Select(n => n.Index), Is.EqualTo(new[] { 0, 4, 2, 1, 5, 3 }));
        float c = 3f / MathF.Sqrt(9.09f);
        Assert.That(nn[0].Score, Is.EqualTo(c).Within(1e-6));
        Assert.That(nn[1].Score, Is.EqualTo(c).Within(1e-6), "scale does not matter");
        Assert.That(nn[2].Score, Is.EqualTo(3.3f / (MathF.Sqrt(2) * MathF.Sqrt(9.09f))).Within(1e-6));
        Assert.That(nn[4].Score, Is.EqualTo(0f), "a zero row scores 0");
        Assert.That(nn[5].Score, Is.EqualTo(-c).Within(1e-6));
    }

    [Test]
    public void KLimitsExcludeSkipsAndErrorsAreNamed()
    {
        Assert.That(NearestNeighbors.Search(Index, 2, [0f, 1f], 2).Select(n => n.Index), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(NearestNeighbors.Search(Index, 2, [0f, 1f], 2, exclude: 1).Select(n => n.Index), Is.EqualTo(new[] { 2, 0 }));
        Assert.That(NearestNeighbors.Search(Index, 2, [0f, 1f], 50), Has.Length.EqualTo(6));
        Assert.Throws<ArgumentOutOfRangeException>(() => NearestNeighbors.Search(Index, 2, [0f, 1f], 0));
        Assert.That(Assert.Throws<ArgumentException>(() => NearestNeighbors.Search(Index, 2, [0f, 1f, 2f], 1))!.Message, Does.Contain("query has 3 values"));
        Assert.That(Assert.Throws<ArgumentException>(() => NearestNeighbors.Search(Index, 5, [0f, 1f, 0, 0, 0], 1))!.Message, Does.Contain("not a whole number"));
    }

    [Test]
    public void SearchesTheChosenEmbeddingAndCanSkipTheQueryItself()
    {
        // Features and head disagree on purpose: features put row 2 nearest the query, the head row 0.
        var index = Set(["a", "b", "c"], features: [1, 0, 0, 1, 0.9f, 0.1f], head: [1, 1, -1, 1, 1, -1], labels: [0, 1, 0]);
        var queries = Set(["q", "c"], features: [1.8f, 0.2f, 0.9f, 0.1f], head: [1, 0.9f, 1, -1], labels: [-1, 0]);
        var byFeatures = EmbeddingSearch.Search(index, queries, "features", 2);
        Assert.That(byFeatures[0].Neighbors.Select(n => n.Index), Is.EqualTo(new[] { 2, 0 }));
        Assert.That(byFeatures[0].QuerySource, Is.EqualTo("q"));
        var byHead = EmbeddingSearch.Search(index, queries, "head", 1);
        Assert.That(byHead[0].Neighbors.Single().Index, Is.EqualTo(0));
        Assert.That(byHead[1].Neighbors.Single().Index, Is.EqualTo(2));
        var skipSelf = EmbeddingSearch.Search(index, queries, "features", 1, excludeSameSource: true);
        Assert.That(skipSelf[1].Neighbors.Single().Index, Is.EqualTo(0), "row 2 is the query c itself");
        Assert.That(skipSelf[0].Neighbors.Single().Index, Is.EqualTo(2));
        Assert.That(Assert.Throws<ArgumentException>(() => EmbeddingSearch.Search(index, queries, "logits", 1))!.Message, Does.Contain("features or head"));
    }

    [Test]
    public void AnEmbeddingFileRoundTripsAndOtherFilesAreRefused()
    {
        using var dir = new TempDir();
        var set = Set(["x.png", "y/z.png"], features: [1, 2, 3, 4, 5, 6], head: null, labels: [1, -1], dim: 3);
        string path = Path.Combine(dir.Path, "e.safetensors");
        set.Write(path);
        var back = EmbeddingSet.Read(path);
        Assert.That(back.Features, Is.EqualTo(set.Features));
        Assert.That((back.Count, back.FeatureDim, back.Head, back.HeadDim), Is.EqualTo((2, 3, (float[]?)null, 0)));
        Assert.That(back.Labels, Is.EqualTo(new[] { 1, -1 }));
        Assert.That(back.Sources, Is.EqualTo(new[] { "x.png", "y/z.png" }));
        Assert.That(back.LabelName(0), Is.EqualTo("B"));
        Assert.That(back.LabelName(1), Is.EqualTo(""));
        Assert.That(back.Metadata["method"], Is.EqualTo("test"));
        Assert.That(Assert.Throws<ArgumentException>(() => back.Select("head"))!.Message, Does.Contain("no head output"));

        var other = new SafeTensorsFile();
        other.AddFloat32("features", [1, 1], [1f]);
        other.Write(Path.Combine(dir.Path, "o.safetensors"));
        var e = Assert.Throws<CheckpointFormatException>(() => EmbeddingSet.Read(Path.Combine(dir.Path, "o.safetensors")));
        Assert.That(e!.Message, Does.Contain("not an embedding file"));
    }

    [Test]
    public void NpyHeadersArePaddedTo64Bytes()
    {
        var bytes = NpyFile.Encode("<f4", [2, 3], new byte[24]);
        int len = bytes[8] | bytes[9] << 8;
        Assert.That((10 + len) % 64, Is.EqualTo(0));
        Assert.That(System.Text.Encoding.ASCII.GetString(bytes, 10, len).TrimEnd(), Is.EqualTo("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
        Assert.That(bytes, Has.Length.EqualTo(10 + len + 24));
    }

    private static EmbeddingSet Set(string[] sources, float[] features, float[]? head, int[] labels, int dim = 2) =>
        new(sources.Length, features, dim, head, dim, labels, sources, ["A", "B"], new Dictionary<string, string> { ["method"] = "test" });
}
