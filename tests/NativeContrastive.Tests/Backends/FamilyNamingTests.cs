using NUnit.Framework;
using NativeContrastive.Kernels.Compile;
using NativeContrastive.Tests.Training;

namespace NativeContrastive.Tests.Backends;

/// <summary>
/// One name per kernel family from the .cu file to the backends: kernels-cu/&lt;family&gt;.cu has its
/// launcher Families/&lt;Family&gt;Kernels.cs, and every family but conv_mma (the tensor-core twin of
/// conv.cu, behind IBackend.Conv) has IBackend.&lt;Family&gt;.cs, CpuBackend.&lt;Family&gt;.cs and
/// DeviceBackend.&lt;Family&gt;.cs. Conversely every such partial names a family, or Memory (allocation
/// and copies, which have no kernel file).
/// </summary>
public class FamilyNamingTests
{
    private static readonly Dictionary<string, string> Compound = new()
    {
        ["argmax"] = "ArgMax", ["batchnorm"] = "BatchNorm", ["l2norm"] = "L2Norm", ["conv_mma"] = "ConvMma",
    };

    private static string Pascal(string family) =>
        Compound.TryGetValue(family, out var name) ? name : char.ToUpperInvariant(family[0]) + family[1..];

    private static readonly string Src = Path.Combine(ConfigFileTests.RepoRoot, "src");

    private static IEnumerable<string> BackendFamilies =>
        KernelSource.Families.Where(f => f != "conv_mma").Select(Pascal);

    [Test]
    public void EveryFamilyHasItsLauncherAndBackendPartials()
    {
        Assert.That(KernelSource.Families, Has.Count.GreaterThan(10));
        var missing = new List<string>();
        void Expect(string relative)
        {
            if (!File.Exists(Path.Combine(Src, relative))) missing.Add(relative);
        }
        foreach (var family in KernelSource.Families) Expect($"Kernels/Families/{Pascal(family)}Kernels.cs");
        foreach (var name in BackendFamilies)
        {
            Expect($"Engine/Backends/IBackend.{name}.cs");
            Expect($"Engine/Backends/Cpu/CpuBackend.{name}.cs");
            Expect($"Engine/Backends/Device/DeviceBackend.{name}.cs");
        }
        Assert.That(missing, Is.Empty);
    }

    [TestCase("Engine/Backends", "IBackend")]
    [TestCase("Engine/Backends/Cpu", "CpuBackend")]
    [TestCase("Engine/Backends/Device", "DeviceBackend")]
    public void EveryBackendPartialNamesAFamily(string folder, string type)
    {
        var known = BackendFamilies.Append("Memory").ToHashSet();
        var partials = Directory.GetFiles(Path.Combine(Src, folder), $"{type}.*.cs")
            .Select(p => Path.GetFileName(p)[(type.Length + 1)..^3]).ToArray();
        Assert.That(partials, Is.Not.Empty);
        Assert.That(partials.Where(p => !known.Contains(p)), Is.Empty, $"{type} partials that name no kernel family");
    }
}
