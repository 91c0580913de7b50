namespace NativeContrastive.Engine.Checkpoints;

/// <summary>The safetensors element types this project reads and writes (the header spells them "F32", "I64", "I32", "U8").</summary>
public enum SafeTensorDType { F32, I64, I32, U8 }

public static class SafeTensorDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this SafeTensorDType t) => t switch
    {
        SafeTensorDType.F32 => 4,
        SafeTensorDType.I64 => 8,
        SafeTensorDType.I32 => 4,
        SafeTensorDType.U8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, null),
    };

    /// <summary>Parses a header dtype string; false for any other spelling.</summary>
    public static bool TryParse(string s, out SafeTensorDType t)
    {
        switch (s)
        {
            case "F32": t = SafeTensorDType.F32; return true;
            case "I64": t = SafeTensorDType.I64; return true;
            case "I32": t = SafeTensorDType.I32; return true;
            case "U8": t = SafeTensorDType.U8; return true;
            default: t = default; return false;
        }
    }

    public static readonly string[] Names = ["F32", "I64", "I32", "U8"];
}
