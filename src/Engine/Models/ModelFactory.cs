using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Backends;

namespace NativeContrastive.Engine.Models;

/// <summary>Builds encoders and heads by name (the CLI's --arch values).</summary>
public static class ModelFactory
{
    public static readonly string[] Architectures = ["resnet18", "resnet34", "resnet50", "small"];

    /// <summary>
    /// An encoder for images with <paramref name="inChannels"/> channels. <paramref name="stem"/>
    /// ("cifar" or "imagenet") applies to the ResNets; the small encoder has none and ignores it.
    /// </summary>
    public static Encoder CreateEncoder(string arch, int inChannels, IBackend backend, RandomStream rng, string stem = "cifar")
    {
        if (arch != "small" && !ResNet.Stems.Contains(stem))
            throw new ArgumentException($"Unknown stem '{stem}'; expected one of: {string.Join(", ", ResNet.Stems)}.", nameof(stem));
        return arch switch
        {
            "resnet18" => ResNet.ResNet18(backend, inChannels, rng, stem),
            "resnet34" => ResNet.ResNet34(backend, inChannels, rng, stem),
            "resnet50" => ResNet.ResNet50(backend, inChannels, rng, stem),
            "small" => new SmallEncoder(backend, inChannels, rng),
            _ => throw new ArgumentException($"Unknown architecture '{arch}'; expected one of: {string.Join(", ", Architectures)}.", nameof(arch)),
        };
    }

    public static ProjectionHead CreateProjectionHead(int inDim, int hiddenDim, int outDim, IBackend backend, RandomStream rng) =>
        new(inDim, hiddenDim, outDim, backend, rng);
}
