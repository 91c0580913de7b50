using System.Buffers.Binary;

namespace NativeContrastive.Engine.Data;

/// <summary>
/// Checks an image file's structure and declared size before StbImageSharp decodes it, because the
/// decoder trusts both: a PNG chunk length or JPEG segment length past the end of the file makes it
/// allocate the declared length or skip past the end and loop forever (found by fuzzing), and a
/// damaged width or height makes it allocate for — and decode — pixels the file cannot hold. The
/// walk is linear in the file: PNG chunks up to IEND, JPEG marker segments (and the entropy-coded
/// data after each SOS) up to EOI, the BMP header.
/// </summary>
internal static class ImageFileCheck
{
    /// <summary>
    /// The most pixels one byte of a compressed image can encode: PNG's deflate expands at most
    /// 1032-fold and a 1-bit image holds 8 pixels per byte; a baseline JPEG needs at least a bit per
    /// 8×8 block (512 pixels per byte). Uncompressed BMP holds at most 8 pixels per byte.
    /// </summary>
    public const int MaxPixelsPerFileByte = 8 * 1032;

    /// <summary>Largest width × height decoded at all (16384²; the decoder's arithmetic is 32-bit).</summary>
    public const long MaxPixels = 1L << 28;

    /// <summary>Throws <see cref="DataFormatException"/> naming <paramref name="path"/> unless the file is a PNG, JPEG or BMP whose structure fits its length and whose size it can hold.</summary>
    public static void Check(string path, ReadOnlySpan<byte> b)
    {
        long width, height;
        int pixelsPerByte = MaxPixelsPerFileByte;
        if (b.Length >= 8 && b[..8].SequenceEqual((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) (width, height) = Png(path, b);
        else if (b.Length >= 2 && b[0] == 0xFF && b[1] == 0xD8) (width, height) = Jpeg(path, b);
        else if (b.Length >= 2 && b[0] == 'B' && b[1] == 'M')
        {
            if (b.Length < 26) throw Bad(path, $"BMP header truncated: expected at least 26 bytes, found {b.Length}.");
            width = BinaryPrimitives.ReadInt32LittleEndian(b[18..]);
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(b[22..]));
            pixelsPerByte = 8;
        }
        else throw Bad(path, $"not a readable PNG/JPEG/BMP image: it starts with {(b.Length == 0 ? "nothing (an empty file)" : Convert.ToHexString(b[..Math.Min(4, b.Length)]))}, not a PNG, JPEG or BMP signature.");
        long most = Math.Min(MaxPixels, (long)pixelsPerByte * b.Length);
        if (width <= 0 || height <= 0 || width * height > most)
            throw Bad(path, $"the header declares {width}×{height} pixels; a {b.Length}-byte file holds at most {most} (a damaged header?).");
    }

    private static DataFormatException Bad(string path, string message) => new(path, message);

    /// <summary>Walks the chunks (length, type, data, CRC) to IEND; returns IHDR's width and height.</summary>
    private static (long, long) Png(string path, ReadOnlySpan<byte> b)
    {
        long width = -1, height = -1;
        int at = 8;
        while (true)
        {
            if (at + 8 > b.Length) throw Bad(path, $"PNG truncated: chunk header at byte {at} needs 8 bytes, {b.Length - at} remain (no IEND chunk).");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(b[at..]);
            string type = System.Text.Encoding.ASCII.GetString(b.Slice(at + 4, 4));
            if (length > b.Length - at - 12L)
                throw Bad(path, $"PNG chunk '{type}' at byte {at} declares {length} data bytes, {Math.Max(0, b.Length - at - 12L)} remain before its CRC (truncated or damaged).");
            if (width < 0)
            {
                if (type != "IHDR" || length < 8) throw Bad(path, $"PNG: expected an IHDR chunk first, found '{type}' of {length} bytes.");
                width = BinaryPrimitives.ReadUInt32BigEndian(b[(at + 8)..]);
                height = BinaryPrimitives.ReadUInt32BigEndian(b[(at + 12)..]);
            }
            at += 12 + (int)length;
            if (type == "IEND") return (width, height);
        }
    }

    /// <summary>Walks the marker segments to EOI (skipping each scan's entropy-coded data); returns the frame's width and height.</summary>
    private static (long, long) Jpeg(string path, ReadOnlySpan<byte> b)
    {
        long width = -1, height = -1;
        int at = 2;
        while (at < b.Length)
        {
            if (b[at] != 0xFF) { at++; continue; }                 // padding between segments (the decoder skips it too)
            while (at < b.Length && b[at] == 0xFF) at++;          // fill bytes
            if (at >= b.Length) break;
            byte marker = b[at++];
            if (marker == 0xD9) break;                            // EOI
            if (marker is 0x00 or 0x01 or 0xD8 or >= 0xD0 and <= 0xD7) continue;
            if (at + 2 > b.Length) throw Bad(path, $"JPEG truncated: segment FF{marker:X2} at byte {at - 2} has no length.");
            int length = BinaryPrimitives.ReadUInt16BigEndian(b[at..]);
            if (length < 2 || at + length > b.Length)
                throw Bad(path, $"JPEG segment FF{marker:X2} at byte {at - 2} declares {length} bytes, {b.Length - at} remain (truncated or damaged).");
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC && width < 0)
            {
                if (length < 7) throw Bad(path, $"JPEG frame header FF{marker:X2} is {length} bytes, expected at least 7.");
                height = BinaryPrimitives.ReadUInt16BigEndian(b[(at + 3)..]);
                width = BinaryPrimitives.ReadUInt16BigEndian(b[(at + 5)..]);
            }
            at += length;
            if (marker == 0xDA)                                   // SOS: entropy-coded data up to the next marker
                while (at + 1 < b.Length && !(b[at] == 0xFF && b[at + 1] != 0x00 && b[at + 1] is not (>= 0xD0 and <= 0xD7))) at++;
        }
        if (width < 0) throw Bad(path, "JPEG without a frame header (SOF): no image size.");
        return (width, height);
    }
}
