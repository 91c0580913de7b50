using NativeContrastive.Engine.Data;
using NativeContrastive.Engine.Eval;
using NativeContrastive.Engine.Methods;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Training.Loop;

/// <summary>
/// Recomputes the batch-norm running statistics of a method's modules (encoder and heads) for the
/// weights they hold now: one pass over the
/// training images in training mode with momentum 1/(n + 1) at batch n, so the statistics become
/// the plain mean of the per-batch statistics (torch.optim.swa_utils.update_bn, momentum None). The
/// first batch's momentum of 1 replaces the old values, so no reset is needed, and a layer the pass
/// does not reach (NNCLR's predictor, used only in the loss) keeps its statistics.
/// Averaged weights (SWA) need this: the average of running statistics is not the statistics of
/// the averaged network. Nothing is recorded for back-propagation; the momenta and the training
/// mode are put back afterwards.
/// </summary>
public static class BatchNormRecalibration
{
    /// <returns>The number of batch-norm layers in the method's modules.</returns>
    public static int Run(ContrastiveMethod method, ResidentDataset data, int batchSize, int imageSize)
    {
        var layers = method.TrainedModules().SelectMany(m => m.SelfAndDescendants()).OfType<BatchNorm>().ToArray();
        if (layers.Length == 0) return 0;
        var momenta = layers.Select(l => l.Momentum).ToArray();
        bool wasTraining = method.IsTraining;
        method.Train(true);
        try
        {
            using var scope = TensorScope.Begin();
            FeatureExtractor.ExtractWithHead(new CumulativeBatches(method, layers), method.Project, data, batchSize, imageSize);
        }
        finally
        {
            for (int i = 0; i < layers.Length; i++) layers[i].Momentum = momenta[i];
            method.Train(wasTraining);
        }
        return layers.Length;
    }

    /// <summary>
    /// The encoder's forward with every layer's momentum set to 1/(n + 1) before batch n. The feature
    /// extractor puts this wrapper (which owns nothing) into eval mode; the method's modules stay in
    /// training mode and update their running statistics, the head's too when the extractor calls it.
    /// </summary>
    private sealed class CumulativeBatches(ContrastiveMethod method, BatchNorm[] layers) : Module(method.Encoder.Backend)
    {
        private int batches;

        public override Tensor Forward(Tensor x)
        {
            float m = 1f / ++batches;
            foreach (var l in layers) l.Momentum = m;
            return method.Encoder.Forward(x);
        }
    }
}
