using System.Globalization;
using System.Xml;

namespace PimBridge.Core.Fences;

/// <summary>
/// The session durations a permission set has recently had, kept as a checkpoint (<see cref="CheckpointName"/>).
/// An administrator may raise a permission set's session duration while access is applied and change it again before
/// it ends: sessions minted in between live as long as they were issued for, so a fence must outlive them. AWS offers
/// no history, so the enforcer notes the duration every minute. Every duration seen stays in force until sessions
/// minted under it have expired: a raise to a value below a longer one that still lingers is kept too, so that when
/// the longer one expires the shorter (but still longer than now) one is not forgotten.
/// </summary>
public sealed record SessionDurationWatch(IReadOnlyList<SessionDurationWatch.Seen> Durations)
{
    /// <summary>A duration seen in force, and when it was first seen replaced (null while it is the current one).</summary>
    public sealed record Seen(TimeSpan Duration, DateTimeOffset? ReplacedAt);

    public static string CheckpointName(string permissionSetArn) => "session-duration|" + permissionSetArn;

    /// <summary>The longest duration a fence planned now must still cover, or null when none is recorded.</summary>
    public TimeSpan? InForce(DateTimeOffset now, TimeSpan margin)
    {
        var live = Durations.Where(d => Lingers(d, now, margin)).ToList();
        return live.Count == 0 ? null : live.Max(d => d.Duration);
    }

    /// <summary>What to record after seeing <paramref name="current"/> now, or null when the record stands.</summary>
    public static SessionDurationWatch? Next(SessionDurationWatch? seen, TimeSpan current, DateTimeOffset now, TimeSpan margin)
    {
        var before = seen?.Durations ?? [];
        var next = before
            .Where(d => Lingers(d, now, margin))
            .Select(d => d.Duration == current ? d with { ReplacedAt = null } : d.ReplacedAt is null ? d with { ReplacedAt = now } : d)
            .ToList();
        if (next.All(d => d.Duration != current))
            next.Add(new Seen(current, null));
        next = [.. next.OrderByDescending(d => d.Duration)];
        return next.SequenceEqual(before) ? null : new SessionDurationWatch(next);
    }

    /// <summary>Sessions minted under the duration may still be alive (it is current, or was replaced too recently).</summary>
    private static bool Lingers(Seen seen, DateTimeOffset now, TimeSpan margin) =>
        seen.ReplacedAt is not { } replaced || now < replaced + seen.Duration + margin;

    /// <summary>Entries separated by <c>;</c>, each a duration, with <c>@</c> and the time it was replaced when it was.</summary>
    public string Format() => string.Join(';', Durations.Select(d => d.ReplacedAt is { } replaced
        ? XmlConvert.ToString(d.Duration) + "@" + replaced.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)
        : XmlConvert.ToString(d.Duration)));

    /// <summary>
    /// Reads a recorded watch, in this format or the earlier one (<c>longest</c> or <c>longest|lowered at</c>, which
    /// says the same of one duration); a value that is neither (hand-edited, from another version) is ignored.
    /// </summary>
    public static SessionDurationWatch? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        var durations = new List<Seen>();
        try
        {
            foreach (var entry in value.Split(';'))
            {
                var parts = entry.Split('@', '|');
                var duration = XmlConvert.ToTimeSpan(parts[0]);
                if (parts.Length == 1)
                    durations.Add(new Seen(duration, null));
                else if (parts.Length == 2 && DateTimeOffset.TryParse(parts[1], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var replaced))
                    durations.Add(new Seen(duration, replaced));
                else
                    return null;
            }
        }
        catch (FormatException)
        {
            return null;
        }

        return new SessionDurationWatch(durations);
    }
}
