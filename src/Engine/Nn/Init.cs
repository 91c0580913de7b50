using NativeContrastive.Engine.Randomness;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Nn;

/// <summary>
/// Weight initialisation as torchvision does it, drawn from our counter-based
/// <see cref="RandomStream"/> (use a stream made with <c>StreamId.Of(StreamId.Init)</c>):
/// values are drawn on the host in element order and copied to the device, so the same
/// seed gives bit-identical weights on every backend.
/// </summary>
public static class Init
{
    /// <summary>
    /// Kaiming (He) normal, mode = fan_out, nonlinearity = ReLU: w ~ N(0, 2/fan_out) with
    /// fan_out = shape[0]·Π shape[2..] (outC·kh·kw for a conv weight [outC, inC, kh, kw]).
    /// </summary>
    public static void KaimingNormalFanOut(Tensor weight, RandomStream rng)
    {
        if (weight.Rank < 2) throw new ArgumentException($"KaimingNormalFanOut: needs a weight of rank ≥ 2, got {ShapeUtil.Format(weight.Shape)}.");
        long fanOut = weight.Dim(0);
        for (int i = 2; i < weight.Rank; i++) fanOut *= weight.Shape[i];
        float std = (float)Math.Sqrt(2.0 / fanOut);
        var data = new float[weight.Length];
        for (int i = 0; i < data.Length; i++) data[i] = std * rng.NextGaussian();
        weight.Backend.CopyFromHost(data, weight);
    }

    /// <summary>t ~ U(−bound, bound), element by element.</summary>
    public static void Uniform(Tensor t, float bound, RandomStream rng)
    {
        var data = new float[t.Length];
        for (int i = 0; i < data.Length; i++) data[i] = rng.NextFloat(-bound, bound);
        t.Backend.CopyFromHost(data, t);
    }

    /// <summary>t ← value everywhere (batch norm: weight 1, bias 0).</summary>
    public static void Constant(Tensor t, float value) => t.Backend.Fill(t, value);

    /// <summary>fan_in = shape[1]·Π shape[2..] (inC·kh·kw for a conv, in for a linear weight [out, in]).</summary>
    public static long FanIn(Tensor weight)
    {
        long fanIn = weight.Dim(1);
        for (int i = 2; i < weight.Rank; i++) fanIn *= weight.Shape[i];
        return fanIn;
    }

    /// <summary>
    /// PyTorch's default for nn.Linear (and a conv's bias): kaiming_uniform(a = √5) for the
    /// weight, which is U(−1/√fan_in, 1/√fan_in), and the bias from the same range.
    /// Weight drawn first, then bias.
    /// </summary>
    public static void TorchDefault(Tensor weight, Tensor? bias, RandomStream rng)
    {
        float bound = (float)(1.0 / Math.Sqrt(FanIn(weight)));
        Uniform(weight, bound, rng);
        if (bias is not null) Uniform(bias, bound, rng);
    }
}
