using System.Diagnostics;

namespace NativeContrastive.Kernels.Profile;

/// <summary>
/// Host time around each call: right for drivers whose calls return when the work is done
/// (the emulator, the cpu). Nothing is ever pending.
/// </summary>
public sealed class WallClockTimer : LaunchTimer
{
    public override string Clock => "wall clock";

    public override TimingMark Begin() => new(Stopwatch.GetTimestamp(), null);

    public override void End(TimingMark mark, ProfileCounter counter) =>
        counter.AddTime(Stopwatch.GetElapsedTime(mark.Timestamp).TotalMilliseconds);

    public override void Resolve() { }

    public override void Discard() { }
}
