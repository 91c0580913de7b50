namespace NativeContrastive.Engine.Data;

/// <summary>An integer crop window: rows Top..Top+Height−1, columns Left..Left+Width−1.</summary>
public readonly record struct CropBox(int Top, int Left, int Height, int Width)
{
    public static CropBox Full(int height, int width) => new(0, 0, height, width);

    /// <summary>True when the box lies inside an image of the given size and is not empty.</summary>
    public bool FitsIn(int height, int width) =>
        Top >= 0 && Left >= 0 && Height > 0 && Width > 0 && Top + Height <= height && Left + Width <= width;
}
