using NUnit.Framework;
using NativeContrastive.Engine.Autograd;
using NativeContrastive.Engine.Losses;
using NativeContrastive.Engine.Methods.SupCon;
using NativeContrastive.Engine.Methods.Supervised;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Tensors;
using NativeContrastive.Engine.Training.Loop;
using NativeContrastive.Tests.Support;

namespace NativeContrastive.Tests.Methods;

/// <summary>The SupCon and supervised methods around their losses: wiring, labels required, per-epoch columns.</summary>
public class SupConTests
{
    private static TrainingBatch Batch(int[] labels, int views)
    {
        using var _ = TensorScope.Suspend();
        int b = labels.Length;
        return new TrainingBatch(Enumerable.Range(0, views).Select(v => GradCheck.Random(20 + v, -1, 1, b, 2, 3, 3)).ToArray(),
                                 Enumerable.Range(100, b).ToArray(), labels);
    }

    private static SupConMethod SupCon() => new(new FlattenLinear(GradCheck.Cpu, 18, 6, 1), new FlattenLinear(GradCheck.Cpu, 6, 4, 2), new SupConOptions());

    [Test]
    public void SupConLossIsLOutOfBothViewsProjected()
    {
        using var method = SupCon();
        int[] labels = [0, 1, 0, 2, 1];
        using var batch = Batch(labels, 2);
        using var scope = TensorScope.Begin();
        using var noGrad = Tape.NoGrad();
        float loss = method.Loss(batch).Item();
        var z = Ops.Concat(0, method.Projector.Forward(method.Encoder.Forward(batch.Views[0])), method.Projector.Forward(method.Encoder.Forward(batch.Views[1])));
        Assert.That(loss, Is.EqualTo(SupConLoss.Compute(z, labels, 0.1f).Loss.Item()).Within(1e-5));
        var m = method.EndEpoch(new EpochLosses(loss, loss, loss, 1)).Metrics;
        Assert.That(m[SupConMethod.NoPositiveColumn], Is.EqualTo(0), "with two views every anchor has its other view");
        Assert.That(m[SupConMethod.PositivesColumn], Is.EqualTo((4 * 3 + 4 * 3 + 2 * 1) / 10.0), "class 0: 4 views, 3 positives each; class 1 likewise; class 2: 2 views, 1 each");
    }

    [Test]
    public void UnlabeledSamplesAreAClearError()
    {
        using var method = SupCon();
        using var batch = Batch([0, -1, 1], 2);
        using var scope = TensorScope.Begin();
        var e = Assert.Throws<TrainingException>(() => method.Loss(batch))!;
        Assert.That(e.Message, Does.Contain("--method supcon trains on class labels, and training image 101 has none"));
    }

    [Test]
    public void SupervisedIsCrossEntropyWithOptionalLabelSmoothing()
    {
        int[] labels = [2, 0, 1, 2];
        using var batch = Batch(labels, 1);
        foreach (float eps in new[] { 0f, 0.1f })
        {
            using var method = new SupervisedMethod(new FlattenLinear(GradCheck.Cpu, 18, 6, 1), new FlattenLinear(GradCheck.Cpu, 6, 3, 2), 3,
                new SupervisedOptions { LabelSmoothing = eps });
            using var scope = TensorScope.Begin();
            float loss;
            float[] logits;
            using (Tape.NoGrad())
            {
                loss = method.Loss(batch).Item();
                logits = method.Classifier.Forward(method.Encoder.Forward(batch.Views[0])).ToArray();
            }
            double expected = 0;
            int right = 0;
            for (int i = 0; i < 4; i++)
            {
                var row = logits.Skip(3 * i).Take(3).Select(x => (double)x).ToArray();
                double lse = Math.Log(row.Sum(Math.Exp));
                for (int c = 0; c < 3; c++) expected -= ((c == labels[i] ? 1 - eps : 0) + eps / 3) * (row[c] - lse) / 4;
                if (Array.IndexOf(row, row.Max()) == labels[i]) right++;
            }
            Assert.That(loss, Is.EqualTo(expected).Within(1e-5), $"ε = {eps}");
            Assert.That(method.EndEpoch(new EpochLosses(loss, loss, loss, 1)).Metrics[SupervisedMethod.TrainAccuracyColumn], Is.EqualTo(100.0 * right / 4));
            using var unlabeled = Batch([0, -1, 1, 1], 1);
            Assert.Throws<TrainingException>(() => method.Loss(unlabeled));
        }
    }
}
