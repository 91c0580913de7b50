// TEMPORARY until the sinkhorn kernel family lands: host-side reference to let SwAV compile and run.
namespace NativeContrastive.Engine.Autograd;

public static partial class Ops
{
    public static Tensor SinkhornCodes(Tensor scores, float epsilon, int iterations)
    {
        int b = scores.Dim(0), k = scores.Dim(1);
        var s = scores.ToArray();
        var logq = new double[s.Length];
        for (int i = 0; i < s.Length; i++) logq[i] = s[i] / (double)epsilon;
        var u = new double[k]; var v = new double[b];
        for (int it = 0; it < iterations; it++)
        {
            for (int c = 0; c < k; c++)
            {
                double m = double.NegativeInfinity;
                for (int r = 0; r < b; r++) m = Math.Max(m, logq[r * k + c] + v[r]);
                double sum = 0; for (int r = 0; r < b; r++) sum += Math.Exp(logq[r * k + c] + v[r] - m);
                u[c] = -Math.Log(k) - (m + Math.Log(sum));
            }
            for (int r = 0; r < b; r++)
            {
                double m = double.NegativeInfinity;
                for (int c = 0; c < k; c++) m = Math.Max(m, logq[r * k + c] + u[c]);
                double sum = 0; for (int c = 0; c < k; c++) sum += Math.Exp(logq[r * k + c] + u[c] - m);
                v[r] = -Math.Log(b) - (m + Math.Log(sum));
            }
        }
        var q = new float[s.Length];
        for (int r = 0; r < b; r++) for (int c = 0; c < k; c++) q[r * k + c] = (float)(b * Math.Exp(logq[r * k + c] + u[c] + v[r]));
        return Tensor.FromArray(scores.Backend, q, b, k);
    }
}
