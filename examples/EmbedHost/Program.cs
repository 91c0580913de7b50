using System.Globalization;
using NativeContrastive.Engine.Api;

// embed-host CHECKPOINT IMAGE|DIR... [--device cpu|cuda] [-k N]
// Loads a NativeContrastive checkpoint, embeds the images and prints, for each, its nearest
// neighbours among the others by cosine of the encoder's features.
var paths = new List<string>();
string device = "cpu";
int k = 3;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--device" && i + 1 < args.Length) device = args[++i];
    else if (args[i] == "-k" && i + 1 < args.Length) k = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else paths.Add(args[i]);
}
if (paths.Count < 2)
{
    Console.Error.WriteLine("usage: embed-host CHECKPOINT IMAGE|DIR... [--device cpu|cuda] [-k N]");
    return 2;
}

try
{
    using var encoder = Encoder.Load(paths[0], device);
    Console.WriteLine($"loaded {encoder.Method} {encoder.Arch} on {encoder.Device}: {encoder.InputChannels}×{encoder.ImageSize}×{encoder.ImageSize} in, {encoder.FeatureDim} features{(encoder.HasHead ? ", with head" : "")}");
    var embeddings = encoder.EmbedFiles(paths.Skip(1));
    Console.WriteLine($"embedded {embeddings.Count} images");
    for (int row = 0; row < embeddings.Count; row++)
    {
        var nearest = embeddings.Nearest(embeddings.Features(row), k, exclude: row);
        Console.WriteLine($"{embeddings.Sources[row]}: " + string.Join(", ", nearest.Select(m => $"{m.Source} ({m.Score.ToString("0.000", CultureInfo.InvariantCulture)})")));
    }
    return 0;
}
catch (Exception e) when (e is ArgumentException or IOException or InvalidOperationException)
{
    Console.Error.WriteLine($"embed-host: error: {e.Message}");
    return 1;
}
