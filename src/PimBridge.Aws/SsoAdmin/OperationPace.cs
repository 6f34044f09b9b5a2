using System.Collections.Concurrent;

namespace PimBridge.Aws.SsoAdmin;

/// <summary>
/// When to take the first look at an account-assignment operation, learned from this client's own looks: just after
/// the latest look that still found one IN_PROGRESS, easing back toward <c>OperationPollInitialDelay</c> with a half-life
/// of five minutes. A first look at AWS's usual time sees the operation done with one Describe instead of two, and the
/// operation's slot (one of AWS's 15) is freed about when AWS finishes it, not when a doubled pause ends. Assignment
/// operations only: they take slots and are alike, while a permission set's provisioning varies with what it holds.
/// Thread-safe.
/// </summary>
internal sealed class OperationPace(TimeSpan initial, TimeSpan ceiling, TimeProvider time)
{
    /// <summary>How far after a look that found the operation running the next first look comes.</summary>
    internal static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Long enough that the pace rarely slips under AWS's time (every operation started in the next slot's time would
    /// then need a second look), short enough to follow AWS getting quicker within minutes.
    /// </summary>
    internal static readonly TimeSpan HalfLife = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, (TimeSpan Pace, DateTimeOffset At)> _paces = new(StringComparer.Ordinal);

    public static bool Learns(string operation) => operation is "CreateAccountAssignment" or "DeleteAccountAssignment";

    public TimeSpan FirstLook(string operation) =>
        _paces.TryGetValue(operation, out var learned) ? Eased(learned, time.GetUtcNow()) : initial;

    /// <summary>A look <paramref name="elapsed"/> after the operation started found it still IN_PROGRESS.</summary>
    public void StillRunning(string operation, TimeSpan elapsed)
    {
        var now = time.GetUtcNow();
        var pace = elapsed + Margin < ceiling ? elapsed + Margin : ceiling;
        _paces.AddOrUpdate(operation, (pace, now), (_, learned) => Eased(learned, now) >= pace ? learned : (pace, now));
    }

    private TimeSpan Eased((TimeSpan Pace, DateTimeOffset At) learned, DateTimeOffset now)
    {
        if (learned.Pace <= initial) return initial;
        var halves = Math.Max(0, (now - learned.At) / HalfLife);
        return initial + (learned.Pace - initial) * Math.Pow(0.5, halves);
    }
}
