using System.Globalization;
using System.Xml;

namespace PimBridge.Core;

/// <summary>
/// The longest session duration a permission set has recently had, kept as a checkpoint (<see cref="CheckpointName"/>).
/// An administrator may raise a permission set's session duration while access is applied and lower it again before
/// it ends: sessions minted in between live as long as they were issued for, so a fence must outlive them. AWS offers
/// no history, so the enforcer notes the duration every minute; the longest seen stays in force until every session
/// minted under it has expired.
/// </summary>
public sealed record SessionDurationWatch(TimeSpan Longest, DateTimeOffset? LoweredAt)
{
    public static string CheckpointName(string permissionSetArn) => "session-duration|" + permissionSetArn;

    /// <summary>The longest duration a fence planned now must still cover, or null when it no longer matters.</summary>
    public TimeSpan? InForce(DateTimeOffset now, TimeSpan margin) =>
        LoweredAt is { } lowered && now >= lowered + Longest + margin ? null : Longest;

    /// <summary>What to record after seeing <paramref name="current"/> now, or null when the record stands.</summary>
    public static SessionDurationWatch? Next(SessionDurationWatch? seen, TimeSpan current, DateTimeOffset now, TimeSpan margin)
    {
        if (seen is null || seen.InForce(now, margin) is null || current > seen.Longest)
            return new(current, null);
        if (current == seen.Longest)
            return seen.LoweredAt is null ? null : new(current, null); // raised back: in force again
        return seen.LoweredAt is null ? seen with { LoweredAt = now } : null; // lowered: the longer one lingers
    }

    public string Format() => LoweredAt is { } lowered
        ? XmlConvert.ToString(Longest) + "|" + lowered.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)
        : XmlConvert.ToString(Longest);

    /// <summary>Reads a recorded watch; a value that is not one (hand-edited, from another version) is ignored.</summary>
    public static SessionDurationWatch? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        var parts = value.Split('|');
        try
        {
            var longest = XmlConvert.ToTimeSpan(parts[0]);
            if (parts.Length == 1) return new(longest, null);
            return DateTimeOffset.TryParse(parts[1], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var lowered) ? new(longest, lowered) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
