using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Tests.Support;
using NUnit.Framework;

namespace NativeContrastive.Tests.OpsTests;

public class BatchedRowDotTests
{
    [Test]
    public void MatchesLoop()
    {
        using var scope = TensorScope.Begin();
        int b = 3, k = 5, d = 7;
        var rows = GradCheck.Random(1, -1, 1, b, k, d);
        var v = GradCheck.Random(2, -1, 1, b, d);
        var y = Ops.BatchedRowDot(rows, v).ToArray();
        float[] r = rows.ToArray(), x = v.ToArray();
        for (int i = 0; i < b; i++)
            for (int j = 0; j < k; j++)
            {
                double s = 0;
                for (int t = 0; t < d; t++) s += r[(i * k + j) * d + t] * x[i * d + t];
                Assert.That(y[i * k + j], Is.EqualTo(s).Within(1e-5), $"b={i} k={j}");
            }
    }

    [Test]
    public void GradientsOfBothInputs()
        => GradCheck.Check(x => Ops.BatchedRowDot(x[0], x[1]), [GradCheck.Random(3, -1, 1, 2, 4, 3), GradCheck.Random(4, -1, 1, 2, 3)]);

    [Test]
    public void RejectsMismatchedShapes()
    {
        using var scope = TensorScope.Begin();
        Assert.Throws<ArgumentException>(() => Ops.BatchedRowDot(GradCheck.Random(1, -1, 1, 2, 4, 3), GradCheck.Random(2, -1, 1, 2, 4)));
    }
}
