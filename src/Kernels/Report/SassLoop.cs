using System.Globalization;
using System.Text.RegularExpressions;

namespace NativeContrastive.Kernels.Report;

/// <summary>
/// The main loop of a kernel that does its math, read from nvdisasm's text: of the address ranges
/// [label, backward branch] holding the math opcode (HMMA for the tensor-core kernels, FFMA for the
/// SIMT ones), the one with the fewest instructions per math instruction, counted by opcode. That is
/// the innermost one (a loop around it adds instructions, not math), and where a kernel has several
/// main loops for different layer shapes (conv_mma's feeders) the fastest of them. Its use: a main loop whose body issues n instructions per HMMA can run its tensor cores
/// at most (cycles an HMMA occupies a scheduler) / n of their peak, however fast memory is — a
/// bound one can read off the CUBIN without a GPU. Static: every path through the body counts,
/// also those a branch skips.
/// </summary>
public sealed record SassLoop(string Kernel, long Start, long End, IReadOnlyDictionary<string, int> Opcodes)
{
    public int Instructions => Opcodes.Values.Sum();

    public int Count(string opcode) => Opcodes.TryGetValue(opcode, out int n) ? n : 0;

    private static readonly Regex FunctionHeader = new(@"^//-+ \.text\.(\S+) -+$", RegexOptions.Multiline | RegexOptions.CultureInvariant);
    private static readonly Regex Label = new(@"^(\.L_x_\d+):", RegexOptions.CultureInvariant);
    private static readonly Regex Instruction = new(@"^\s*/\*([0-9a-f]{4,})\*/\s+(.*?)\s*;", RegexOptions.CultureInvariant);
    private static readonly Regex BranchTarget = new(@"\bBRA\b.*?(\.L_x_\d+)", RegexOptions.CultureInvariant);
    private static readonly Regex Predicate = new(@"^@!?U?P[0-9T]+\s+", RegexOptions.CultureInvariant);

    /// <summary>
    /// Every kernel in <paramref name="nvdisasmText"/> (the output of <c>nvdisasm -c</c> on a CUBIN)
    /// → its main loop of <paramref name="mathOpcode"/> (see the type), or no entry when it has none.
    /// </summary>
    public static IReadOnlyDictionary<string, SassLoop> Find(string nvdisasmText, string mathOpcode)
    {
        var result = new Dictionary<string, SassLoop>(StringComparer.Ordinal);
        var headers = FunctionHeader.Matches(nvdisasmText);
        for (int f = 0; f < headers.Count; f++)
        {
            int from = headers[f].Index + headers[f].Length, to = f + 1 < headers.Count ? headers[f + 1].Index : nvdisasmText.Length;
            var loop = InnermostLoop(headers[f].Groups[1].Value, nvdisasmText[from..to], mathOpcode);
            if (loop != null) result[loop.Kernel] = loop;
        }
        return result;
    }

    /// <summary>An instruction's opcode without predicate and modifiers: "@!P0 LDG.E.U16 R1, …" → "LDG".</summary>
    public static string Opcode(string instruction)
    {
        string text = Predicate.Replace(instruction, "");
        int end = text.IndexOfAny([' ', '.']);
        return end < 0 ? text : text[..end];
    }

    private static SassLoop? InnermostLoop(string kernel, string body, string mathOpcode)
    {
        var labels = new Dictionary<string, long>(StringComparer.Ordinal);
        var pending = new List<string>();
        var code = new List<(long Address, string Text)>();
        foreach (string line in body.Split('\n'))
        {
            var label = Label.Match(line);
            if (label.Success) { pending.Add(label.Groups[1].Value); continue; }
            var ins = Instruction.Match(line);
            if (!ins.Success) continue;
            long address = long.Parse(ins.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            foreach (string p in pending) labels[p] = address;   // a label names the instruction after it
            pending.Clear();
            code.Add((address, ins.Groups[2].Value));
        }
        (int First, int Last, double PerMath)? best = null;
        for (int i = 0; i < code.Count; i++)
        {
            var branch = BranchTarget.Match(code[i].Text);
            if (!branch.Success || !labels.TryGetValue(branch.Groups[1].Value, out long target) || target > code[i].Address) continue;
            int first = code.FindIndex(c => c.Address == target);
            if (first < 0) continue;
            int math = 0;
            for (int j = first; j <= i; j++) math += Opcode(code[j].Text) == mathOpcode ? 1 : 0;
            double perMath = (i - first + 1) / (double)math;
            if (math > 0 && (best is not { } b || perMath < b.PerMath)) best = (first, i, perMath);
        }
        if (best is not { } loop) return null;
        var opcodes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int j = loop.First; j <= loop.Last; j++)
        {
            string op = Opcode(code[j].Text);
            opcodes[op] = opcodes.GetValueOrDefault(op) + 1;
        }
        return new SassLoop(kernel, code[loop.First].Address, code[loop.Last].Address, opcodes);
    }
}
