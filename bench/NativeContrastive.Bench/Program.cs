using NativeContrastive.Bench;

// Usage: nc-bench [kernel] [gemm] [conv] [norm] [conv-strategies] [resnet-step] [simclr-step] [emu] [device-step] [cuda-conv] [cuda-conv-mma] [augment] [sinkhorn] [checkpoint] [--arch A] [--batch N] [--steps N] [--profile] [--device cpu|emu|cuda] [--rows B --cols K --iterations T]   (none named: kernel, gemm, conv, norm). Run in Release.
// emu: ms per launch of every kernel family on the emulated CUDA device.
// device-step: seconds per tiny SimCLR step on --device (default emu; batch 16 unless --batch).
// cuda-conv: conv / batch norm / pool kernels on the GPU at ResNet-18 shapes (TFLOP/s, GB/s).
// cuda-conv-mma: conv.cu fp32 beside conv_mma.cu tf32 / bf16 (tensor cores, sm_80+) at the same shapes.
// augment: views/s of the loader on --device (default cpu; emu also the kernel through its launcher alone); batch 256 unless --batch.
// checkpoint: ms of an epoch checkpoint on the training thread, synchronous (before) vs snapshot + background write (after); --arch (default resnet18).
// sinkhorn: ms per SwAV codes call on --device (default cpu): --rows 4096 --cols 3000 --iterations 3 (emu: 512 × 300).
int deviceIndex = Array.IndexOf(args, "--device");
string? device = deviceIndex >= 0 ? args[deviceIndex + 1] : null;
var sections = args.Where((a, i) => !a.StartsWith("--") && !int.TryParse(a, out _) && !(i > 0 && args[i - 1] is "--device" or "--arch")).ToHashSet();
int batchIndex = Array.IndexOf(args, "--batch");
int batch = batchIndex >= 0 ? int.Parse(args[batchIndex + 1]) : 64;
int stepsIndex = Array.IndexOf(args, "--steps");
int steps = stepsIndex >= 0 ? int.Parse(args[stepsIndex + 1]) : 5;
int? IntOption(string name) => Array.IndexOf(args, name) is var i and >= 0 ? int.Parse(args[i + 1]) : null;
bool all = sections.Count == 0;
Console.WriteLine($"NativeContrastive cpu benchmark — {Environment.ProcessorCount} cores, AVX-512: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}");
if (all || sections.Contains("kernel")) MicroKernelBench.Run();
if (all || sections.Contains("gemm")) GemmBench.Run();
if (all || sections.Contains("conv")) ConvBench.Run(batch);
if (all || sections.Contains("norm")) NormBench.Run(batch);
if (sections.Contains("conv-strategies")) ConvBench.CompareStrategies(batch);
if (sections.Contains("resnet-step")) ResNetStepBench.Run(batch, steps, args.Contains("--profile"));
if (sections.Contains("simclr-step")) SimClrStepBench.Run(batch, steps);
if (sections.Contains("emu")) EmuKernelBench.Run();
if (sections.Contains("device-step")) DeviceStepBench.Run(device ?? "emu", batchIndex >= 0 ? batch : 16, stepsIndex >= 0 ? steps : 3);
if (sections.Contains("cuda-conv")) CudaConvNormBench.Run(batch);
if (sections.Contains("cuda-conv-mma")) CudaConvMmaBench.Run(batch);
if (sections.Contains("augment")) AugmentBench.Run(device ?? "cpu", batchIndex >= 0 ? batch : 256);
if (sections.Contains("sinkhorn")) SinkhornBench.Run(device ?? "cpu", IntOption("--rows"), IntOption("--cols"), IntOption("--iterations") ?? 3);
if (sections.Contains("checkpoint")) CheckpointBench.Run(Array.IndexOf(args, "--arch") is var ai and >= 0 ? args[ai + 1] : "resnet18");
