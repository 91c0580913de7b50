namespace NativeContrastive.Kernels.Emu;

/// <summary>
/// The order in which the emulator runs a block's threads between synchronisation points.
/// A kernel with a missing __syncthreads typically gives different results in different
/// orders; correct kernels give the same (up to float rounding where atomics are involved).
/// </summary>
public enum EmuOrder { Forward = 0, Reverse = 1, Random = 2 }
