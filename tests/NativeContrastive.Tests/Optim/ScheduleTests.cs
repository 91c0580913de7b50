using NativeContrastive.Engine.Optim;
using NUnit.Framework;

namespace NativeContrastive.Tests.OptimTests;

public class ScheduleTests
{
    [Test]
    public void WarmupCosineValues()
    {
        // base 1, 10 warm-up steps, 110 in all: warm-up lr = (s+1)/10; cosine over steps 10..110.
        var s = new WarmupCosineSchedule(1f, 10, 110);
        Assert.That(s.At(0), Is.EqualTo(0.1f).Within(1e-7f), "warm-up start");
        Assert.That(s.At(4), Is.EqualTo(0.5f).Within(1e-7f), "warm-up middle");
        Assert.That(s.At(9), Is.EqualTo(1f).Within(1e-7f), "warm-up end");
        Assert.That(s.At(10), Is.EqualTo(1f).Within(1e-7f), "cosine start");
        Assert.That(s.At(60), Is.EqualTo(0.5f).Within(1e-6f), "cosine middle: ½(1 + cos π/2)");
        Assert.That(s.At(35), Is.EqualTo((float)(0.5 * (1 + Math.Cos(Math.PI / 4)))).Within(1e-6f), "a quarter in");
        Assert.That(s.At(109), Is.EqualTo(0.000246719f).Within(1e-7f), "½(1 + cos(0.99π))");
        Assert.That(s.At(110), Is.EqualTo(0f), "end");
        Assert.That(s.At(500), Is.EqualTo(0f), "past the end");
    }

    [Test]
    public void WarmupCosineWithFinalLrAndNoWarmup()
    {
        var s = new WarmupCosineSchedule(1f, 0, 100, finalLr: 0.1f);
        Assert.That(s.At(0), Is.EqualTo(1f).Within(1e-7f));
        Assert.That(s.At(50), Is.EqualTo(0.55f).Within(1e-6f), "0.1 + 0.9·½");
        Assert.That(s.At(100), Is.EqualTo(0.1f));
    }

    [Test]
    public void MultiStepDecays()
    {
        var s = new MultiStepSchedule(0.1f, [60, 30], 0.1f);
        Assert.That(s.At(0), Is.EqualTo(0.1f).Within(1e-9f));
        Assert.That(s.At(29), Is.EqualTo(0.1f).Within(1e-9f));
        Assert.That(s.At(30), Is.EqualTo(0.01f).Within(1e-9f));
        Assert.That(s.At(59), Is.EqualTo(0.01f).Within(1e-9f));
        Assert.That(s.At(60), Is.EqualTo(0.001f).Within(1e-10f));
    }

    [Test]
    public void ConstantIsConstant()
    {
        var s = new ConstantSchedule(0.03f);
        Assert.That(new[] { s.At(0), s.At(1000) }, Is.All.EqualTo(0.03f));
    }

    [Test]
    public void RejectsWarmupLongerThanTotal() =>
        Assert.Throws<ArgumentException>(() => new WarmupCosineSchedule(1f, 20, 10));
}
