using System.Buffers.Binary;
using System.IO.Compression;

namespace NativeContrastive.Engine.Data;

/// <summary>
/// File access for the readers: every IO error becomes a <see cref="DataFormatException"/>
/// naming the path, gzip is detected from the content (magic 1F 8B) rather than the
/// extension, and short reads report the expected and the found byte counts.
/// </summary>
internal static class DataFile
{
    /// <summary>Opens a file for sequential reading, transparently gunzipping it.</summary>
    public static Stream OpenRead(string path)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found.");
        try
        {
            var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            int b0 = fs.ReadByte(), b1 = fs.ReadByte();
            fs.Position = 0;
            return b0 == 0x1F && b1 == 0x8B ? new BufferedStream(new GZipStream(fs, CompressionMode.Decompress), 1 << 16) : fs;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"cannot open: {e.Message}", e);
        }
    }

    /// <summary>
    /// Fills <paramref name="dest"/> from the stream; <paramref name="offset"/> is the number of
    /// bytes of the file already consumed, so a truncation reports whole-file counts:
    /// "expected N bytes (what), found M".
    /// </summary>
    public static void ReadExactly(Stream s, string path, Span<byte> dest, long offset, string what)
    {
        int got = 0;
        try
        {
            while (got < dest.Length)
            {
                int n = s.Read(dest[got..]);
                if (n == 0) break;
                got += n;
            }
        }
        catch (InvalidDataException e) when (IsGzip(s))
        {
            throw GzipError(path, what, offset + got, e);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"read failed: expected at least {offset + dest.Length} bytes ({what}), read {offset + got} before the error: {e.Message}", e);
        }
        if (got < dest.Length)
            throw new DataFormatException(path, $"truncated: expected at least {offset + dest.Length} bytes ({what}), found {offset + got}{(IsGzip(s) ? " after decompression" : "")}.");
    }

    /// <summary>True for the streams <see cref="OpenRead"/> makes for gzip files.</summary>
    private static bool IsGzip(Stream s) => s is BufferedStream { UnderlyingStream: GZipStream };

    private static DataFormatException GzipError(string path, string what, long at, Exception e) =>
        new(path, $"{GzipCheck.Diagnose(path).TrimEnd('.')}; found while reading {what}, {at} bytes in.", e);

    /// <summary>
    /// <paramref name="count"/> bytes of the stream as a new array, <paramref name="offset"/> bytes
    /// of the file being consumed already. The declared count is checked against what the file can
    /// hold before anything is allocated: against its length for a plain file; a gzip file's length
    /// after decompression is unknown until read, so the array grows (doubling from 64 KiB) as data
    /// arrives and a header that declares more than the file holds costs at most twice the data.
    /// </summary>
    public static byte[] ReadBytes(Stream s, string path, long count, long offset, string what)
    {
        CheckAvailable(s, path, count, offset, what);
        if (count > Array.MaxLength)
            throw new DataFormatException(path, $"{what}: {count} bytes exceed the largest array ({Array.MaxLength} bytes).");
        if (!IsGzip(s))
        {
            var all = new byte[count];
            ReadExactly(s, path, all, offset, what);
            return all;
        }
        var buf = new byte[Math.Min(count, 1 << 16)];
        int got = 0;
        while (got < count)
        {
            if (got == buf.Length)
            {
                var bigger = new byte[Math.Min(count, 2L * got)];
                buf.CopyTo(bigger, 0);
                buf = bigger;
            }
            int n;
            try { n = s.Read(buf, got, buf.Length - got); }
            catch (InvalidDataException e) { throw GzipError(path, what, offset + got, e); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DataFormatException(path, $"read failed: expected at least {offset + count} bytes ({what}), read {offset + got} before the error: {e.Message}", e);
            }
            if (n == 0)
                throw new DataFormatException(path, $"truncated: expected at least {offset + count} bytes ({what}), found {offset + got} after decompression.");
            got += n;
        }
        return buf;
    }

    /// <summary>
    /// Throws "truncated" when a plain file holds fewer than <paramref name="count"/> bytes after the
    /// current position (a damaged count in a header reads as what it is, not as "too large");
    /// a gzip stream's length is known only once read.
    /// </summary>
    public static void CheckAvailable(Stream s, string path, long count, long offset, string what)
    {
        if (IsGzip(s) || !s.CanSeek) return;
        long available = s.Length - s.Position;
        if (available < count)
            throw new DataFormatException(path, $"truncated: expected at least {offset + count} bytes ({what}), found {offset + available}.");
    }

    /// <summary>
    /// For a gzip stream: decompresses what is left so the decoder checks the trailer's CRC-32 and
    /// length (a reader that stops at the last byte it needs would never see a damaged trailer).
    /// Plain files have nothing to check.
    /// </summary>
    public static void VerifyToEnd(Stream s, string path, long offset)
    {
        if (!IsGzip(s)) return;
        var buf = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 16);
        long at = offset;
        try
        {
            int n;
            while ((n = s.Read(buf, 0, 1 << 16)) > 0) at += n;
        }
        catch (InvalidDataException e)
        {
            throw GzipError(path, "the rest of the file", at, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"read failed after {at} bytes: {e.Message}", e);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buf);
        }
    }

    /// <summary>Reads a big-endian uint32 (the IDX header's byte order).</summary>
    public static uint ReadUInt32BigEndian(Stream s, string path, long offset, string what)
    {
        Span<byte> b = stackalloc byte[4];
        ReadExactly(s, path, b, offset, what);
        return BinaryPrimitives.ReadUInt32BigEndian(b);
    }

    /// <summary>Length of an uncompressed file, wrapping IO errors.</summary>
    public static long Length(string path)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found.");
        try { return new FileInfo(path).Length; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"cannot stat: {e.Message}", e);
        }
    }

    /// <summary>
    /// Class names from a text file, one per non-empty line, when the file exists and has
    /// exactly <paramref name="expected"/> names; otherwise <paramref name="fallback"/>.
    /// A names file with the wrong count is an error (it would mislabel every report).
    /// </summary>
    public static IReadOnlyList<string> ReadNames(string path, int expected, IReadOnlyList<string> fallback)
    {
        if (!File.Exists(path)) return fallback;
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"cannot read: {e.Message}", e);
        }
        var names = lines.Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length != expected)
            throw new DataFormatException(path, $"expected {expected} class names, found {names.Length}.");
        return names;
    }

    /// <summary>Generic names "class_00".. for data sets whose names file is absent.</summary>
    public static IReadOnlyList<string> NumberedNames(int n) =>
        Enumerable.Range(0, n).Select(i => $"class_{i.ToString(n > 100 ? "D3" : "D2")}").ToArray();

    /// <summary>Throws unless N images of <paramref name="imageBytes"/> fit one array.</summary>
    public static void CheckFitsInArray(string path, long count, long imageBytes)
    {
        if (count * imageBytes > Array.MaxLength)
            throw new DataFormatException(path, $"{count} images of {imageBytes} bytes exceed the largest array ({Array.MaxLength} bytes); load at most {Array.MaxLength / imageBytes} images (--limit).");
    }
}
