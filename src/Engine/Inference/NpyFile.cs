using System.Globalization;
using System.Text;

namespace NativeContrastive.Engine.Inference;

/// <summary>
/// NumPy's .npy format, version 1.0: magic "\x93NUMPY", version 1 0, a little-endian uint16 header
/// length, an ASCII dict {'descr', 'fortran_order', 'shape'} padded with spaces to a multiple of 64
/// bytes and ended by '\n', then the C-order data. Written atomically.
/// </summary>
public static class NpyFile
{
    public static void WriteFloat32(string path, ReadOnlySpan<float> data, params int[] shape) =>
        Write(path, "<f4", shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(data));

    public static void WriteInt64(string path, ReadOnlySpan<long> data, params int[] shape) =>
        Write(path, "<i8", shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(data));

    /// <summary>The header and data bytes of an array with dtype <paramref name="descr"/>.</summary>
    public static byte[] Encode(string descr, int[] shape, ReadOnlySpan<byte> data)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("npy: little-endian hosts only.");
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        int unpadded = 10 + dict.Length + 1;
        int padded = (unpadded + 63) / 64 * 64;
        string header = dict + new string(' ', padded - unpadded) + "\n";
        var bytes = new byte[10 + header.Length + data.Length];
        bytes[0] = 0x93;
        Encoding.ASCII.GetBytes("NUMPY").CopyTo(bytes, 1);
        bytes[6] = 1;
        bytes[7] = 0;
        bytes[8] = (byte)(header.Length & 0xff);
        bytes[9] = (byte)(header.Length >> 8);
        Encoding.ASCII.GetBytes(header).CopyTo(bytes, 10);
        data.CopyTo(bytes.AsSpan(10 + header.Length));
        return bytes;
    }

    private static void Write(string path, string descr, int[] shape, ReadOnlySpan<byte> data) =>
        Training.Runs.AtomicFile.WriteAllBytes(path, Encode(descr, shape, data));
}
