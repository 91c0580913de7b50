namespace NativeContrastive.Kernels.Launch;

public enum KernelArgKind : byte { Pointer, Int32, UInt32, Float32, Int64, UInt64 }

/// <summary>
/// A kernel's arguments in declaration order, each kept in an 8-byte slot. <see cref="Pack"/>
/// builds the <c>void**</c> array cuLaunchKernel (and the emu export) expects: element i points
/// at argument i's value — 4-byte values are read from the low half of their slot (little
/// endian), device pointers are 64-bit addresses. The kinds let a driver that records
/// launches (ScriptDriver) write them out.
/// </summary>
public sealed class KernelArgs
{
    private readonly List<(KernelArgKind Kind, ulong Bits)> items = new(12);

    public int Count => items.Count;

    public (KernelArgKind Kind, ulong Bits) this[int i] => items[i];

    private KernelArgs Add(KernelArgKind kind, ulong bits) { items.Add((kind, bits)); return this; }

    public KernelArgs Ptr(DeviceBuffer buffer) => Add(KernelArgKind.Pointer, buffer.Ptr);
    public KernelArgs Ptr(ulong devicePointer) => Add(KernelArgKind.Pointer, devicePointer);
    public KernelArgs I32(int v) => Add(KernelArgKind.Int32, (uint)v);
    public KernelArgs U32(uint v) => Add(KernelArgKind.UInt32, v);
    public KernelArgs F32(float v) => Add(KernelArgKind.Float32, BitConverter.SingleToUInt32Bits(v));
    public KernelArgs I64(long v) => Add(KernelArgKind.Int64, (ulong)v);
    public KernelArgs U64(ulong v) => Add(KernelArgKind.UInt64, v);

    /// <summary>An independent copy (a recorded launch keeps its values even if the caller reuses this object).</summary>
    public KernelArgs Copy()
    {
        var copy = new KernelArgs();
        copy.items.AddRange(items);
        return copy;
    }

    /// <summary>Fills <paramref name="slots"/> with the values and <paramref name="argv"/> with pointers to them (both Count long).</summary>
    public unsafe void Pack(ulong* slots, void** argv)
    {
        for (int i = 0; i < items.Count; i++)
        {
            slots[i] = items[i].Bits;
            argv[i] = &slots[i];
        }
    }

    public override string ToString() => string.Join(", ", items.Select(a => a.Kind switch
    {
        KernelArgKind.Pointer => $"0x{a.Bits:x}",
        KernelArgKind.Float32 => BitConverter.UInt32BitsToSingle((uint)a.Bits).ToString("R"),
        KernelArgKind.Int32 => ((int)(uint)a.Bits).ToString(),
        KernelArgKind.Int64 => ((long)a.Bits).ToString(),
        _ => a.Bits.ToString(),
    }));
}
