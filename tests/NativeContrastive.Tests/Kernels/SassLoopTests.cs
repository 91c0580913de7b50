using NativeContrastive.Kernels.Compile;
using NativeContrastive.Kernels.Report;
using NUnit.Framework;

namespace NativeContrastive.Tests.KernelTests;

/// <summary>
/// <see cref="SassLoop"/> finds a kernel's main math loop in nvdisasm's text: the
/// label-to-backward-branch range with the fewest instructions per math instruction (the innermost;
/// of sibling loops the fastest), counted by opcode.
/// </summary>
public class SassLoopTests
{
    // Two kernels in nvdisasm -c's layout: k1 has an outer loop (L_x_1 … 0x0090) around an inner
    // one holding the HMMAs (L_x_2 … 0x0070), and a forward branch that is not a loop; k2 has no loop.
    private const string Text = """
        //--------------------- .text.k1 --------------------------
        	.section	.text.k1,"ax",@progbits
                /*0000*/                   MOV R1, c[0x0][0x28] ;
        .L_x_1:
                /*0010*/                   IADD3 R2, R2, 0x1, RZ ;
        .L_x_2:
                /*0020*/                   LDG.E.U16 R4, desc[UR4][R6.64] ;
                /*0030*/               @!P0 HMMA.16816.F32.BF16 R8, R12, R14, R8 ;
                /*0040*/                   HMMA.16816.F32.BF16 R16, R12, R18, R16 ;
                /*0050*/                   ISETP.GE.AND P1, PT, R2, 0x4, PT ;
                /*0060*/               @P1 BRA `(.L_x_3) ;
                /*0070*/              @!P2 BRA `(.L_x_2) ;
        .L_x_3:
                /*0080*/                   FFMA R1, R2, R3, R1 ;
                /*0090*/               @P3 BRA `(.L_x_1) ;
                /*00a0*/                   EXIT ;
        //--------------------- .text.k2 --------------------------
                /*0000*/                   FFMA R1, R2, R3, R1 ;
                /*0010*/                   EXIT ;
        //--------------------- .text.k3 --------------------------
                /*0000*/                   MOV R1, c[0x0][0x28] ;
        .L_x_4:
                /*0010*/                   HMMA.16816.F32.BF16 R8, R12, R14, R8 ;
                /*0020*/                   IADD3 R2, R2, 0x1, RZ ;
                /*0030*/                   @P0 BRA `(.L_x_4) ;
        .L_x_5:
                /*0040*/                   HMMA.16816.F32.BF16 R8, R12, R14, R8 ;
                /*0050*/                   HMMA.16816.F32.BF16 R16, R12, R18, R16 ;
                /*0060*/                   LDG.E.U16 R4, desc[UR4][R6.64] ;
                /*0070*/                   IADD3 R2, R2, 0x1, RZ ;
                /*0080*/                   @P1 BRA `(.L_x_5) ;
                /*0090*/                   EXIT ;
        """;

    [Test]
    public void PicksTheInnermostLoopHoldingTheMathOpcode()
    {
        var loops = SassLoop.Find(Text, "HMMA");
        Assert.That(loops.Keys, Is.EquivalentTo(new[] { "k1", "k3" }));
        var loop = loops["k1"];
        Assert.That((loop.Start, loop.End), Is.EqualTo((0x20L, 0x70L)));
        Assert.That(loop.Instructions, Is.EqualTo(6));
        Assert.That(loop.Count("HMMA"), Is.EqualTo(2), "a predicated HMMA counts");
        Assert.That(loop.Count("BRA"), Is.EqualTo(2));
        Assert.That(loop.Count("FFMA"), Is.EqualTo(0));
    }

    [Test]
    public void AnOpcodeOnlyOutsideInnerLoopsGivesTheLoopAroundIt()
    {
        var loop = SassLoop.Find(Text, "FFMA")["k1"];
        Assert.That((loop.Start, loop.End, loop.Instructions), Is.EqualTo((0x10L, 0x90L, 9)));
    }

    [Test]
    public void OfTwoMainLoopsTheOneWithFewerInstructionsPerMathInstructionCounts()
    {
        // k3's first loop is shorter (3 instructions, 1 HMMA), its second faster (5 instructions, 2 HMMAs).
        var loop = SassLoop.Find(Text, "HMMA")["k3"];
        Assert.That((loop.Start, loop.End, loop.Instructions, loop.Count("HMMA")), Is.EqualTo((0x40L, 0x80L, 5, 2)));
    }

    [TestCase("@!P0 LDG.E.U16 R1, desc[UR4][R2.64]", "LDG")]
    [TestCase("@UP1 UIADD3 UR4, UR4, 0x1, URZ", "UIADD3")]
    [TestCase("@PT HMMA.1688.F32.TF32 R4, R8, R12, R4", "HMMA")]
    [TestCase("EXIT", "EXIT")]
    public void OpcodeDropsPredicateAndModifiers(string instruction, string opcode) =>
        Assert.That(SassLoop.Opcode(instruction), Is.EqualTo(opcode));

    /// <summary>
    /// On the real CUBINs, where nvdisasm is installed (scripts/install-nvdisasm.sh): every
    /// tensor-core conv kernel has a main loop whose HMMA count is its warp tile's (32×32 of
    /// m16n8k16 bf16: 8 per 16-deep slice; of m16n8k8 tf32: 16; 64×32: twice that).
    /// </summary>
    [Test]
    public void EveryTensorCoreConvKernelHasItsMainLoop()
    {
        Nvrtc.RequireOrIgnore();
        string tool = Nvdisasm.Locate() ?? throw new IgnoreException("nvdisasm not installed (scripts/install-nvdisasm.sh)");
        string dir = Directory.CreateTempSubdirectory("nc-sass-").FullName;
        try
        {
            var cubins = KernelReport.WriteCubins(KernelReport.CompileModules(GpuArch.Sm90).Where(m => m.Family == "conv_mma"), dir).Select(c => c.Path);
            var loops = KernelReport.MathLoops(tool, cubins);
            Assert.That(loops, Is.Not.Empty);
            foreach (var (loop, op) in loops)
            {
                Assert.That(op, Is.EqualTo("HMMA"), loop.Kernel);
                // A slice is 16 tf32 HMMAs (two k-steps) or 8 bf16 ones per 32×32 warp tile (backward weight),
                // twice that for the 64×32 warp tiles of forward and backward data; bf16 loops may run two slices
                // per trip (backward weight's double buffer) or three (the ring of forward and backward data).
                bool wideWarps = !loop.Kernel.Contains("backward_weight");
                int perSlice = (loop.Kernel.Contains("tf32") ? 16 : 8) * (wideWarps ? 2 : 1);
                Assert.That(loop.Count("HMMA") % perSlice, Is.Zero, loop.Kernel);
                Assert.That(loop.Count("HMMA") / perSlice, Is.InRange(1, loop.Kernel.Contains("tf32") ? 1 : 3), loop.Kernel);
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
