namespace NativeContrastive.Kernels.Compile;

/// <summary>A compute capability: sm_80 (A100), sm_90 (H100), or what the device reports.</summary>
public readonly record struct GpuArch(int Major, int Minor)
{
    public static readonly GpuArch Sm80 = new(8, 0);
    public static readonly GpuArch Sm90 = new(9, 0);

    /// <summary>Real architecture, for CUBIN: sm_XY.</summary>
    public string Real => $"sm_{Major}{Minor}";

    /// <summary>Virtual architecture, for PTX: compute_XY.</summary>
    public string Virtual => $"compute_{Major}{Minor}";

    public override string ToString() => Real;

    public static GpuArch Parse(string s)
    {
        var digits = s.StartsWith("sm_") ? s[3..] : s.StartsWith("compute_") ? s[8..] : s.Replace(".", "");
        if (digits.Length < 2 || !digits.All(char.IsDigit)) throw new FormatException($"Not an architecture: '{s}' (expected e.g. sm_90).");
        return new GpuArch(int.Parse(digits[..^1]), digits[^1] - '0');
    }
}
