using PimBridge.Core.Fences;

namespace PimBridge.Core.Tests;

/// <summary>The once-a-minute record of session durations a fence must outlive.</summary>
public sealed class SessionDurationWatchTests
{
    private static readonly DateTimeOffset T0 = new(2026, 7, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Margin = TimeSpan.FromMinutes(15);

    /// <summary>Watches <paramref name="durations"/> (hours), one per minute from T0, and returns the record.</summary>
    private static SessionDurationWatch? Watch(IEnumerable<(int Minute, double Hours)> changes, int minutes)
    {
        SessionDurationWatch? watch = null;
        var current = TimeSpan.Zero;
        var byMinute = changes.ToDictionary(c => c.Minute, c => TimeSpan.FromHours(c.Hours));
        for (var minute = 0; minute <= minutes; minute++)
        {
            if (byMinute.TryGetValue(minute, out var changed)) current = changed;
            // What is stored is what is read back: the record survives formatting.
            if (SessionDurationWatch.Next(watch, current, T0.AddMinutes(minute), Margin) is { } next)
                watch = SessionDurationWatch.Parse(next.Format());
        }

        return watch;
    }

    [Fact]
    public void A_duration_raised_while_a_longer_one_lingers_is_kept_after_the_longer_one_expires()
    {
        // 4 h for a minute, lowered to 1 h, raised to 3 h while the 4 h still lingers, lowered to 1 h at 3:30.
        var watch = Watch([(0, 4), (1, 1), (120, 3), (210, 1)], minutes: 300);

        // Sessions minted at 3:29 under 3 h live until 6:29: a fence planned at 5:00 must cover 3 h.
        Assert.Equal(TimeSpan.FromHours(3), watch!.InForce(T0.AddMinutes(300), Margin));
        // Once they can no longer be alive, nothing longer than the current duration matters.
        Assert.Equal(TimeSpan.FromHours(1), Watch([(0, 4), (1, 1), (120, 3), (210, 1)], minutes: 210 + 180 + 16)!.InForce(T0.AddMinutes(210 + 180 + 16), Margin));
    }

    [Fact]
    public void The_longest_duration_lingers_until_sessions_minted_under_it_expire()
    {
        var watch = Watch([(0, 4), (10, 1)], minutes: 60);

        Assert.Equal(TimeSpan.FromHours(4), watch!.InForce(T0.AddMinutes(60), Margin));
        Assert.Equal(TimeSpan.FromHours(4), watch.InForce(T0.AddMinutes(9 + 240 + 14), Margin));
        Assert.Equal(TimeSpan.FromHours(1), watch.InForce(T0.AddMinutes(9 + 240 + 16), Margin));
    }

    [Fact]
    public void A_record_in_the_earlier_format_is_read()
    {
        Assert.Equal(TimeSpan.FromHours(4), SessionDurationWatch.Parse("PT4H|2026-07-01T09:00:00.0000000Z")!.InForce(T0.AddHours(4), Margin));
        Assert.Null(SessionDurationWatch.Parse("not a duration"));
    }
}
