namespace NativeContrastive.Kernels.Launch;

/// <summary>What a node of a recorded graph is (its value is mixed into the topology key).</summary>
public enum GraphNodeKind
{
    Kernel = 1,
    CopyToDevice = 2,
    CopyDeviceToDevice = 3,
    Memset = 4,
}

/// <summary>
/// The shape of a recording as a 64-bit key: each node's kind, kernel, grid, block and shared bytes, or
/// byte count (FNV-1a over the fields, in order). Two recordings with the same key have the same nodes in
/// the same order and differ only in arguments (pointers, scalars), which is what an executable graph
/// can be updated with in place. Kernel arguments are not part of the key.
/// </summary>
public sealed class GraphTopology
{
    private const ulong Offset = 14695981039346656037UL, Prime = 1099511628211UL;

    public ulong Key { get; private set; } = Offset;

    public int Nodes { get; private set; }

    public void Kernel(KernelFunction function, Dim3 grid, Dim3 block, uint sharedBytes)
    {
        Mix((ulong)GraphNodeKind.Kernel);
        Mix((ulong)function.Handle);
        Mix(grid.X); Mix(grid.Y); Mix(grid.Z);
        Mix(block.X); Mix(block.Y); Mix(block.Z);
        Mix(sharedBytes);
        Nodes++;
    }

    /// <summary>A copy or memset of <paramref name="bytes"/>.</summary>
    public void Transfer(GraphNodeKind kind, long bytes)
    {
        Mix((ulong)kind);
        Mix((ulong)bytes);
        Nodes++;
    }

    private void Mix(ulong value)
    {
        for (int i = 0; i < 8; i++, value >>= 8) Key = (Key ^ (value & 0xff)) * Prime;
    }
}
