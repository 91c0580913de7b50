namespace NativeContrastive.Kernels.Launch;

/// <summary>A grid or block shape, as CUDA's dim3.</summary>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1)
{
    public ulong Count => (ulong)X * Y * Z;

    public static implicit operator Dim3(int x) => new((uint)x);

    public static implicit operator Dim3(uint x) => new(x);

    public override string ToString() => $"({X},{Y},{Z})";
}
