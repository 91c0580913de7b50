using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace NativeContrastive.Tests.Fuzz;

/// <summary>
/// Deterministic mutations of a valid seed input (System.Random with a fixed seed, so a failure
/// reproduces by its input number): truncation, bit flips, byte insertion, deletion and overwrite,
/// block duplication, and the values that break size arithmetic (0, 1, −1, int.MaxValue,
/// 0x80000000, 0xFFFFFFFF, …) written over the format's length and shape fields. Each input takes
/// one to three mutations; format-aware ones (<see cref="Fields"/>, <see cref="Text"/>) come from
/// the parser's fuzz test.
/// </summary>
public sealed class Mutator(int seed)
{
    private readonly Random rng = new(seed);

    public Random Random => rng;

    /// <summary>The 32-bit values that break size arithmetic.</summary>
    public static readonly uint[] Limits = [0, 1, 2, 0x7F, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFE, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF, 1u << 20, 1u << 28];

    /// <summary>The same as text, with the ones JSON and YAML add (exponents, NaN, negative zero, empty).</summary>
    public static readonly string[] TextLimits =
        ["0", "1", "-1", "-5", "2", "2147483647", "2147483648", "-2147483648", "4294967295", "4294967296", "9223372036854775807", "9223372036854775808",
         "-9223372036854775809", "18446744073709551616", "1e309", "-1e309", "1e-50", "NaN", "Infinity", "-0", "0.5", "\"\"", "null", "true", "[]", "{}"];

    public T Pick<T>(IReadOnlyList<T> items) => items[rng.Next(items.Count)];

    /// <summary>One to three generic byte mutations of <paramref name="seed"/> (never the seed itself unchanged, unless a mutation is a no-op).</summary>
    public byte[] Bytes(byte[] seed)
    {
        var b = seed.ToList();
        int rounds = 1 + rng.Next(3);
        for (int r = 0; r < rounds; r++)
        {
            switch (rng.Next(7))
            {
                case 0: // truncate
                {
                    int at = rng.Next(b.Count + 1);
                    b.RemoveRange(at, b.Count - at);
                    return b.ToArray();
                }
                case 1: // flip 1-4 bits
                    if (b.Count == 0) break;
                    for (int k = 1 + rng.Next(4); k > 0; k--) { int i = rng.Next(b.Count); b[i] ^= (byte)(1 << rng.Next(8)); }
                    break;
                case 2: // insert 1-16 bytes (random, zero or 0xFF)
                {
                    int at = rng.Next(b.Count + 1), n = 1 + rng.Next(16), kind = rng.Next(3);
                    b.InsertRange(at, Enumerable.Range(0, n).Select(_ => kind == 0 ? (byte)rng.Next(256) : kind == 1 ? (byte)0 : (byte)0xFF));
                    break;
                }
                case 3: // delete 1-16 bytes
                {
                    if (b.Count == 0) break;
                    int at = rng.Next(b.Count), n = Math.Min(1 + rng.Next(16), b.Count - at);
                    b.RemoveRange(at, n);
                    break;
                }
                case 4: // overwrite one byte with an extreme value
                    if (b.Count == 0) break;
                    b[rng.Next(b.Count)] = Pick(new byte[] { 0, 1, 0x7F, 0x80, 0xFF });
                    break;
                case 5: // a 32-bit limit at a random place, either byte order
                {
                    if (b.Count < 4) break;
                    int at = rng.Next(b.Count - 3);
                    Span<byte> v = stackalloc byte[4];
                    if (rng.Next(2) == 0) BinaryPrimitives.WriteUInt32BigEndian(v, Pick(Limits)); else BinaryPrimitives.WriteUInt32LittleEndian(v, Pick(Limits));
                    for (int k = 0; k < 4; k++) b[at + k] = v[k];
                    break;
                }
                default: // duplicate a block
                {
                    if (b.Count == 0) break;
                    int at = rng.Next(b.Count), n = Math.Min(1 + rng.Next(64), b.Count - at);
                    b.InsertRange(rng.Next(b.Count + 1), b.GetRange(at, n));
                    break;
                }
            }
        }
        return b.ToArray();
    }

    /// <summary>A limit written over one of the format's 32-bit fields at <paramref name="offsets"/> (big- or little-endian as the format stores it).</summary>
    public byte[] Fields(byte[] seed, IReadOnlyList<int> offsets, bool bigEndian)
    {
        var b = (byte[])seed.Clone();
        int at = Pick(offsets);
        if (at + 4 > b.Length) return b;
        uint v = Pick(Limits);
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), v); else BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);
        return b;
    }

    private static readonly Regex Token = new(@"-?\d+(\.\d+)?([eE][-+]?\d+)?|""[^""\n]*""|\bnull\b|\btrue\b|\bfalse\b", RegexOptions.Compiled);

    /// <summary>
    /// One to three mutations of JSON or YAML text: a number, string or literal replaced by a limit
    /// (or a YAML construct: anchors, aliases, tags, flow collections, document markers), a line
    /// deleted, duplicated or indented, a structural character inserted or removed, or the text truncated.
    /// </summary>
    public string Text(string seed)
    {
        string s = seed;
        int rounds = 1 + rng.Next(3);
        for (int r = 0; r < rounds; r++)
        {
            switch (rng.Next(6))
            {
                case 0:
                case 1: // replace a token with a limit or odd construct
                {
                    var tokens = Token.Matches(s);
                    if (tokens.Count == 0) break;
                    var m = tokens[rng.Next(tokens.Count)];
                    string[] odd = ["&a x", "*a", "!!binary AAAA", "!!float 1", "[1, [2, [3]]]", "{a: 1}", "\"\\u0000\"", "'", "\"\\ud800\"", "|\n  text", "~", "---", "...", "\t", "%YAML 1.2"];
                    string repl = rng.Next(3) == 0 ? Pick(odd) : Pick(TextLimits);
                    s = s[..m.Index] + repl + s[(m.Index + m.Length)..];
                    break;
                }
                case 2: // a line deleted, duplicated or re-indented
                {
                    var lines = s.Split('\n').ToList();
                    int i = rng.Next(lines.Count);
                    switch (rng.Next(3))
                    {
                        case 0: lines.RemoveAt(i); break;
                        case 1: lines.Insert(i, lines[i]); break;
                        default: lines[i] = new string(' ', rng.Next(5)) + lines[i].TrimStart(); break;
                    }
                    s = string.Join('\n', lines);
                    break;
                }
                case 3: // insert a structural character
                {
                    int at = rng.Next(s.Length + 1);
                    s = s[..at] + Pick(new[] { "{", "}", "[", "]", ":", ",", "\"", "'", "#", "-", "&", "*", "!", "|", ">", "\n", "\0", "\uFEFF", "é" }) + s[at..];
                    break;
                }
                case 4: // delete a character
                    if (s.Length > 0) { int at = rng.Next(s.Length); s = s.Remove(at, 1); }
                    break;
                default: // truncate
                    s = s[..rng.Next(s.Length + 1)];
                    break;
            }
        }
        return s;
    }

    /// <summary>Text mutations as UTF-8 bytes, sometimes with a byte-level mutation on top (invalid UTF-8 included).</summary>
    public byte[] TextBytes(string seed)
    {
        var b = Encoding.UTF8.GetBytes(Text(seed));
        return rng.Next(4) == 0 ? Bytes(b) : b;
    }
}
