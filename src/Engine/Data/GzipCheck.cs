using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;

namespace NativeContrastive.Engine.Data;

/// <summary>
/// Says what is wrong with a gzip file (RFC 1952) that .NET's decoder rejected. The decoder reports
/// every damaged stream — a bad CRC-32 included — as "unsupported compression method", which sends
/// a user looking for the wrong problem; this re-reads the file on the error path only: the header
/// (magic, method, flags, optional fields), the deflate data, then the trailer's CRC-32 and length
/// against what the data decompresses to.
/// </summary>
internal static class GzipCheck
{
    /// <summary>One sentence for the damaged gzip file at <paramref name="path"/> (no path in it).</summary>
    public static string Diagnose(string path)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            long length = fs.Length;
            Span<byte> h = stackalloc byte[10];
            if (fs.ReadAtLeast(h, 10, throwOnEndOfStream: false) < 10)
                return $"gzip header truncated: expected at least 10 bytes, found {length}.";
            if (h[0] != 0x1F || h[1] != 0x8B) return $"not a gzip file: expected magic 1F 8B, found {h[0]:X2} {h[1]:X2}.";
            if (h[2] != 8) return $"gzip header: expected compression method 8 (deflate), found {h[2]}.";
            int flags = h[3];
            if ((flags & 0xE0) != 0) return $"gzip header: reserved flag bits set (flags 0x{flags:X2}); the file is damaged.";
            if ((flags & 0x04) != 0)
            {
                Span<byte> x = stackalloc byte[2];
                if (fs.ReadAtLeast(x, 2, throwOnEndOfStream: false) < 2) return "gzip header truncated in its extra field.";
                fs.Seek(BinaryPrimitives.ReadUInt16LittleEndian(x), SeekOrigin.Current);
            }
            foreach (int bit in new[] { 0x08, 0x10 })
                if ((flags & bit) != 0)
                {
                    int b;
                    while ((b = fs.ReadByte()) > 0) { }
                    if (b < 0) return "gzip header truncated in its file name or comment.";
                }
            if ((flags & 0x02) != 0) fs.Seek(2, SeekOrigin.Current);
            long dataStart = fs.Position;
            if (length - dataStart < 8) return $"gzip file truncated: {length} bytes leave no room for the data and the 8-byte trailer.";

            uint crc = 0;
            long size = 0;
            var buf = new byte[1 << 16];
            try
            {
                using var deflate = new DeflateStream(fs, CompressionMode.Decompress, leaveOpen: true);
                int n;
                while ((n = deflate.Read(buf)) > 0)
                {
                    crc = Crc32.Update(crc, buf.AsSpan(0, n));
                    size += n;
                }
            }
            catch (InvalidDataException)
            {
                return string.Create(CultureInfo.InvariantCulture, $"gzip data is corrupt: the deflate stream is invalid after {size} decompressed bytes (the file is damaged).");
            }
            Span<byte> t = stackalloc byte[8];
            fs.Seek(length - 8, SeekOrigin.Begin);
            fs.ReadExactly(t);
            uint storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(t), storedSize = BinaryPrimitives.ReadUInt32LittleEndian(t[4..]);
            if (storedCrc != crc)
                return string.Create(CultureInfo.InvariantCulture,
                    $"gzip CRC-32 checksum mismatch: the trailer records 0x{storedCrc:X8}, the {size} decompressed bytes give 0x{crc:X8} (the file is damaged or truncated).");
            if (storedSize != (uint)size)
                return string.Create(CultureInfo.InvariantCulture,
                    $"gzip length mismatch: the trailer records {storedSize} bytes (mod 2^32), the data decompresses to {size} (the file is damaged or truncated).");
            return "gzip data is corrupt or truncated (the file is damaged).";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"gzip data is corrupt and the file cannot be re-read: {e.Message}";
        }
    }
}

/// <summary>CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) as gzip's trailer records it.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(i =>
    {
        uint c = (uint)i;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>The CRC of the bytes so far (<paramref name="crc"/>, 0 to start) extended by <paramref name="data"/>.</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        foreach (byte b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }
}
