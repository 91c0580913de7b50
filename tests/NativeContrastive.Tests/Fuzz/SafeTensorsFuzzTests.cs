using System.Buffers.Binary;
using System.Text;
using NativeContrastive.Engine.Checkpoints;
using NUnit.Framework;

namespace NativeContrastive.Tests.Fuzz;

/// <summary>
/// safetensors files fed mutated bytes and mutated JSON headers (with the length field kept right,
/// so the mutations reach the header's checks): each parses or is a
/// <see cref="CheckpointFormatException"/>; shapes and offsets set to limits must not allocate.
/// </summary>
[NonParallelizable]
public class SafeTensorsFuzzTests
{
    /// <summary>The header of a safetensors file mutated as text, the length field rewritten to match, the data kept.</summary>
    public static byte[] MutateHeader(byte[] file, Mutator mutator)
    {
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        string header = Encoding.UTF8.GetString(file, 8, (int)n);
        var mutated = mutator.TextBytes(header);
        var outp = new byte[8 + mutated.Length + (file.Length - 8 - (int)n)];
        BinaryPrimitives.WriteUInt64LittleEndian(outp, (ulong)mutated.Length);
        mutated.CopyTo(outp, 8);
        file.AsSpan(8 + (int)n).CopyTo(outp.AsSpan(8 + mutated.Length));
        return outp;
    }

    /// <summary>A limit in the 64-bit header length (little-endian), either half.</summary>
    public static byte[] MutateLength(byte[] file, Mutator mutator)
    {
        var b = (byte[])file.Clone();
        if (mutator.Random.Next(2) == 0) BinaryPrimitives.WriteUInt64LittleEndian(b, mutator.Pick(new ulong[] { 0, 1, 7, ulong.MaxValue, long.MaxValue, 1UL << 32, int.MaxValue, 100_000_001 }));
        else return mutator.Fields(file, [0, 4], bigEndian: false);
        return b;
    }

    public static byte[] Seed()
    {
        var f = new SafeTensorsFile();
        f.Metadata["arch"] = "small";
        f.Metadata["note"] = "fuzz seed";
        f.AddFloat32("a.weight", [2, 3], [1, 2, 3, 4, 5, 6]);
        f.AddInt64("b.count", [2], [7, 8]);
        f.AddInt32("c", [1, 1], [9]);
        f.AddUInt8("d", [4], [1, 2, 3, 4]);
        f.AddFloat32("e.empty", [0, 5], []);
        return f.ToBytes();
    }

    [Test]
    public void SafeTensors()
    {
        const string name = "fuzz.safetensors";
        var seed = Seed();
        Assert.That(SafeTensorsFile.Parse(seed, name).Tensors, Has.Count.EqualTo(5));
        var mutator = new Mutator(41);
        var r = FuzzHarness.Run("safetensors", 10000,
            i => (i % 4) switch { 0 => mutator.Bytes(seed), 1 => MutateLength(seed, mutator), _ => MutateHeader(seed, mutator) },
            bytes =>
            {
                var f = SafeTensorsFile.Parse(bytes, name);
                foreach (var t in f.Tensors)
                {
                    Assert.That(t.Data.LongLength, Is.EqualTo(t.ElementCount * t.DType.Size()));
                    if (t.DType == SafeTensorDType.F32) _ = t.ToFloat32();
                }
            },
            e => e is CheckpointFormatException c && c.FilePath == name,
            bytes => (1 << 20) + 16L * bytes.Length);
        FuzzHarness.AssertClean(r);
    }
}
