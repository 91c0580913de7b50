using NUnit.Framework;
using NativeContrastive.Engine.Training.Loop;

namespace NativeContrastive.Tests.Training;

/// <summary>
/// <see cref="EpochStopwatch"/> and <see cref="EpochTimes"/>: the measured parts are disjoint, so they add up
/// to at most the wall time and "other" is the non-negative rest; cells round-trip through metrics.csv.
/// No assertion depends on how long anything took.
/// </summary>
public class EpochTimesTests
{
    private static void Work()
    {
        double x = 0;
        for (int i = 0; i < 20_000; i++) x += Math.Sqrt(i);
        GC.KeepAlive(x);
    }

    [Test]
    public void PartsAreNonNegativeAndAddUpToAtMostTheWallTime()
    {
        var clock = new EpochStopwatch();
        for (int i = 0; i < 50; i++)
        {
            using (clock.Measure(EpochPart.DataWait)) Work();
            using (clock.Measure(EpochPart.Steps)) Work();
            Work();   // not in any part: "other"
        }
        using (clock.Measure(EpochPart.Checkpoint)) Work();
        using (clock.Measure(EpochPart.Knn)) Work();
        var t = clock.Stop();
        double[] parts = [t.Steps, t.DataWait, t.Knn, t.Checkpoint, t.Other];
        Assert.That(parts, Has.All.GreaterThanOrEqualTo(0));
        Assert.That(t.Steps + t.DataWait + t.Knn + t.Checkpoint, Is.LessThanOrEqualTo(t.Wall + 1e-9));
        Assert.That(t.Steps + t.DataWait + t.Knn + t.Checkpoint + t.Other, Is.EqualTo(t.Wall).Within(1e-9), "other is the rest");
        Assert.That(t.WallOverSteps, Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public void AnUnmeasuredPartIsExactlyZero()
    {
        var clock = new EpochStopwatch();
        using (clock.Measure(EpochPart.Steps)) Work();
        var t = clock.Stop();
        Assert.That((t.Knn, t.Checkpoint, t.DataWait), Is.EqualTo((0.0, 0.0, 0.0)));
    }

    [Test]
    public void PartsDoNotNest()
    {
        var clock = new EpochStopwatch();
        using (clock.Measure(EpochPart.Checkpoint))
        {
            var e = Assert.Throws<InvalidOperationException>(() => clock.Measure(EpochPart.Knn));
            Assert.That(e!.Message, Does.Contain("Knn").And.Contain("Checkpoint"));
            Assert.Throws<InvalidOperationException>(() => clock.Stop(), "a part still open");
        }
        Assert.DoesNotThrow(() => clock.Stop());
    }

    [Test]
    public void CellsRoundTripAndEmptyCellsAreNoTimes()
    {
        var t = new EpochTimes(12.5, 10, 0.25, 1.5, 0.5);
        var cells = t.Cells();
        Assert.That(cells, Is.EqualTo(new[] { "12.500", "10.000", "0.250", "1.500", "0.500", "0.250", "1.250" }));
        Assert.That(EpochTimes.Parse(cells), Is.EqualTo(t));
        Assert.That(EpochTimes.Parse(new string[EpochTimes.Columns.Length].Select(_ => "").ToArray()), Is.Null);
        Assert.That(new EpochTimes(1, 0, 0, 0, 0).Cells()[^1], Is.EqualTo(""), "no steps: no ratio");
        var bad = (string[])cells.Clone();
        bad[3] = "-1";
        var e = Assert.Throws<FormatException>(() => EpochTimes.Parse(bad));
        Assert.That(e!.Message, Does.Contain("knn_s").And.Contain("'-1'"));
    }
}
