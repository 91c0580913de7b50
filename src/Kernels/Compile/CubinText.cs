using System.Buffers.Binary;
using System.Text;

namespace NativeContrastive.Kernels.Compile;

/// <summary>
/// The machine code of each kernel in a CUBIN (an ELF64 file): the size of its <c>.text.&lt;kernel&gt;</c>
/// section. From sm_70 on every SASS instruction is 16 bytes, so size / 16 is the kernel's static
/// instruction count — a GPU-free way to see what a change to a kernel costs (an integer division
/// is some twenty instructions, an unrolled loop body shows in full). Static, not executed: a loop
/// counts once.
/// </summary>
public static class CubinText
{
    /// <summary>Bytes per SASS instruction on sm_70 and later.</summary>
    public const int InstructionBytes = 16;

    /// <summary>Kernel name → bytes of its .text section. Throws <see cref="FormatException"/> when <paramref name="cubin"/> is not an ELF64 file.</summary>
    public static IReadOnlyDictionary<string, long> TextBytes(byte[] cubin)
    {
        var b = cubin.AsSpan();
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F' || b[4] != 2 || b[5] != 1)
            throw new FormatException("CUBIN: expected a little-endian ELF64 file.");
        long shoff = BinaryPrimitives.ReadInt64LittleEndian(b[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(b[0x3A..]), shnum = BinaryPrimitives.ReadUInt16LittleEndian(b[0x3C..]);
        int shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(b[0x3E..]);
        if (shentsize < 64 || shoff <= 0 || shoff + (long)shnum * shentsize > b.Length || shstrndx >= shnum)
            throw new FormatException($"CUBIN: section headers out of range (offset {shoff}, {shnum} × {shentsize} bytes in {b.Length}).");
        ReadOnlySpan<byte> Header(int i) => cubin.AsSpan((int)(shoff + (long)i * shentsize), 64);
        long namesAt = BinaryPrimitives.ReadInt64LittleEndian(Header(shstrndx)[24..]);
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int i = 0; i < shnum; i++)
        {
            var h = Header(i);
            long nameAt = namesAt + BinaryPrimitives.ReadUInt32LittleEndian(h);
            if (nameAt < 0 || nameAt >= b.Length) throw new FormatException($"CUBIN: section {i}'s name is outside the file.");
            int end = b[(int)nameAt..].IndexOf((byte)0);
            string name = Encoding.ASCII.GetString(b.Slice((int)nameAt, end < 0 ? b.Length - (int)nameAt : end));
            if (name.StartsWith(".text.", StringComparison.Ordinal))
                result[name[".text.".Length..]] = BinaryPrimitives.ReadInt64LittleEndian(h[32..]);
        }
        return result;
    }

    /// <summary>Kernel name → static SASS instruction count (<see cref="TextBytes"/> / 16).</summary>
    public static IReadOnlyDictionary<string, long> Instructions(byte[] cubin) =>
        TextBytes(cubin).ToDictionary(kv => kv.Key, kv => kv.Value / InstructionBytes, StringComparer.Ordinal);
}
