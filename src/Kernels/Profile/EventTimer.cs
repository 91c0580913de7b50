namespace NativeContrastive.Kernels.Profile;

/// <summary>
/// Device time from a pair of events recorded on the stream around each call. Recording is
/// asynchronous, so the host never waits while the steps run: the pairs queue up and are read
/// (elapsed time between the two events) only when the report asks (<see cref="Resolve"/>).
/// Events are pooled and reused once read. To bound memory over long runs, when more than
/// <c>maxPending</c> pairs are waiting the older half is resolved, which waits only for the
/// work up to the middle of the queue, not for the newest launches.
/// </summary>
public sealed class EventTimer(Func<ITimingEvent> create, string clock, int maxPending = 4096) : LaunchTimer
{
    private readonly Lock gate = new();
    private readonly Stack<ITimingEvent> free = new();
    private readonly List<ITimingEvent> all = new();
    private readonly Queue<(ITimingEvent Start, ITimingEvent End, ProfileCounter Counter)> pending = new();

    public override string Clock => clock;

    /// <summary>Events created so far (the pool's size).</summary>
    public int EventsCreated { get { lock (gate) return all.Count; } }

    /// <summary>Pairs recorded but not yet read.</summary>
    public int Pending { get { lock (gate) return pending.Count; } }

    public override TimingMark Begin()
    {
        lock (gate)
        {
            var start = Take();
            start.Record();
            return new TimingMark(0, start);
        }
    }

    public override void End(TimingMark mark, ProfileCounter counter)
    {
        var start = mark.Start ?? throw new ArgumentException("EventTimer.End needs the mark its Begin returned.", nameof(mark));
        lock (gate)
        {
            var end = Take();
            end.Record();
            pending.Enqueue((start, end, counter));
            if (pending.Count > maxPending) Drain(pending.Count / 2, read: true);
        }
    }

    public override void Cancel(TimingMark mark)
    {
        if (mark.Start is { } start) lock (gate) free.Push(start);
    }

    public override void Resolve()
    {
        lock (gate) Drain(pending.Count, read: true);
    }

    public override void Discard()
    {
        lock (gate) Drain(pending.Count, read: false);
    }

    /// <summary>Waits for the <paramref name="count"/>-th oldest pair's end event, then reads (or drops) the oldest <paramref name="count"/> pairs.</summary>
    private void Drain(int count, bool read)
    {
        if (count == 0) return;
        pending.ElementAt(count - 1).End.Synchronize();
        for (int i = 0; i < count; i++)
        {
            var (start, end, counter) = pending.Dequeue();
            if (read) counter.AddTime(end.ElapsedSince(start));
            free.Push(start);
            free.Push(end);
        }
    }

    private ITimingEvent Take()
    {
        if (free.TryPop(out var e)) return e;
        e = create();
        all.Add(e);
        return e;
    }

    public override void Dispose()
    {
        lock (gate)
        {
            Drain(pending.Count, read: false);
            foreach (var e in all) e.Dispose();
            all.Clear();
            free.Clear();
        }
    }
}
