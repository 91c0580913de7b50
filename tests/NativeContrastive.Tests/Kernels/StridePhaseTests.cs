using NativeContrastive.Kernels.Families;
using NativeContrastive.Kernels.Launch;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// Backward data on tensor cores runs once per stride phase (<see cref="ConvMmaKernels.StridePhase"/>):
/// the phases must cover every dx pixel exactly once, and a phase's taps must be exactly the taps
/// whose (h + pad − r) / stride is whole for its pixels — so nothing is missed and nothing is
/// multiplied by a tap that cannot reach it.
/// </summary>
public class StridePhaseTests
{
    [TestCase(8, 8, 3, 3, 1, 1, 1, 1)]
    [TestCase(8, 8, 3, 3, 2, 2, 1, 1)]
    [TestCase(7, 9, 3, 3, 2, 2, 1, 1)]
    [TestCase(7, 7, 1, 1, 2, 2, 0, 0)]
    [TestCase(11, 11, 7, 7, 2, 2, 3, 3)]
    [TestCase(13, 11, 5, 3, 3, 3, 2, 1)]
    [TestCase(6, 7, 2, 3, 1, 2, 0, 1)]
    [TestCase(5, 5, 2, 2, 3, 3, 0, 0)]   // stride 3 > filter 2: a phase with no tap at all
    public void PhasesPartitionThePixelsAndEachGetsExactlyItsTaps(int h, int w, int r, int s, int sh, int sw, int ph, int pw)
    {
        var g = new ConvShape(1, 1, h, w, 1, r, s, sh, sw, ph, pw);
        var covered = new int[h, w];
        foreach (var f in ConvMmaKernels.StridePhase.Of(g))
        {
            for (int i = 0; i < f.Hc; i++)
                for (int j = 0; j < f.Wc; j++)
                {
                    int y = f.H0 + i * sh, x = f.W0 + j * sw;
                    Assert.That(y < h && x < w, $"phase pixel ({y}, {x}) outside {h}×{w}");
                    covered[y, x]++;
                    var taps = new HashSet<(int, int)>();
                    for (int a = 0; a < f.Rc; a++)
                        for (int b = 0; b < f.Sc; b++) taps.Add((f.R0 + a * sh, f.S0 + b * sw));
                    var whole = new HashSet<(int, int)>();
                    for (int rr = 0; rr < r; rr++)
                        for (int ss = 0; ss < s; ss++)
                            if ((y + ph - rr) % sh == 0 && (x + pw - ss) % sw == 0) whole.Add((rr, ss));
                    Assert.That(taps, Is.EquivalentTo(whole), $"taps of pixel ({y}, {x})");
                }
        }
        Assert.That(covered.Cast<int>(), Is.All.EqualTo(1), "every dx pixel in exactly one phase");
    }
}
