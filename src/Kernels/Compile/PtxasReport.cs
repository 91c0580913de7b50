using System.Text.RegularExpressions;

namespace NativeContrastive.Kernels.Compile;

/// <summary>Resources ptxas reported for one kernel (from --ptxas-options=-v).</summary>
public sealed record KernelResources(string Kernel, int Registers, int StaticSharedBytes, int StackFrameBytes, int SpillStoreBytes, int SpillLoadBytes)
{
    public int SpillBytes => SpillStoreBytes + SpillLoadBytes;
}

/// <summary>
/// Parses the ptxas verbose log that NVRTC puts in the program log:
/// <code>
/// ptxas info    : Compiling entry function 'k' for 'sm_90'
/// ptxas info    : Function properties for k
/// ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
/// ptxas info    : Used 36 registers, 8320 bytes smem, 380 bytes cmem[0]
/// </code>
/// Function properties of non-entry (device) functions are ignored.
/// </summary>
public static partial class PtxasReport
{
    [GeneratedRegex(@"Compiling entry function '([^']+)' for '([^']+)'")] private static partial Regex EntryLine();
    [GeneratedRegex(@"Function properties for (\S+)")] private static partial Regex PropertiesLine();
    [GeneratedRegex(@"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")] private static partial Regex FrameLine();
    [GeneratedRegex(@"Used (\d+) registers(?:, (\d+) bytes smem)?")] private static partial Regex UsedLine();

    public static IReadOnlyList<KernelResources> Parse(string log)
    {
        var result = new List<KernelResources>();
        string? entry = null, propertiesOf = null;
        int frame = 0, stores = 0, loads = 0;
        foreach (var line in log.Split('\n'))
        {
            Match m;
            if ((m = EntryLine().Match(line)).Success) { entry = m.Groups[1].Value; frame = stores = loads = 0; propertiesOf = null; }
            else if ((m = PropertiesLine().Match(line)).Success) propertiesOf = m.Groups[1].Value;
            else if ((m = FrameLine().Match(line)).Success && propertiesOf == entry && entry != null)
            {
                frame = int.Parse(m.Groups[1].Value); stores = int.Parse(m.Groups[2].Value); loads = int.Parse(m.Groups[3].Value);
            }
            else if ((m = UsedLine().Match(line)).Success && entry != null)
            {
                int smem = m.Groups[2].Success ? int.Parse(m.Groups[2].Value) : 0;
                result.Add(new KernelResources(entry, int.Parse(m.Groups[1].Value), smem, frame, stores, loads));
                entry = null;
            }
        }
        return result;
    }
}
