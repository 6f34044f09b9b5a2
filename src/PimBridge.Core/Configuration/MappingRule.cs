using PimBridge.Core.Domain;

namespace PimBridge.Core.Configuration;

/// <summary>A validated mapping. Its target still names groups and permission sets as configured (id, name or ARN).</summary>
public sealed record MappingRule(
    string Name,
    string EntraGroupId,
    PimAccess Access,
    string? IdentityCenterGroup,
    string? PermissionSet,
    IReadOnlyList<string> Accounts,
    TimeSpan? MaxDuration,
    bool IncludePermanent,
    bool FenceSessions)
{
    /// <summary>
    /// PIM's longest activation (its documentation says activations are always time-bound: up to 8 hours on Graph's
    /// overview, 30 minutes to 24 hours in AWS's guide; the longer reading never cuts a real activation short).
    /// </summary>
    public static readonly TimeSpan LongestActivation = TimeSpan.FromHours(24);

    /// <summary>
    /// The activation's effective end: its end capped at start + maxDuration; null only for a permanent assignment
    /// neither bounds. An activation without an end (a malformed answer) is held to <see cref="LongestActivation"/>:
    /// a missing end must never mean access without one.
    /// </summary>
    public DateTimeOffset? EffectiveEnd(Activation activation)
    {
        var cap = MaxDuration is { } max ? activation.Start + max : (DateTimeOffset?)null;
        var end = activation.End ?? (activation.IsPermanent ? null : activation.Start + LongestActivation);
        if (end is null) return cap;
        return cap is { } c && c < end ? c : end;
    }

    /// <summary>Whether this mapping counts the activation at all.</summary>
    public bool Counts(Activation activation) =>
        string.Equals(activation.GroupId, EntraGroupId, StringComparison.OrdinalIgnoreCase) && activation.Access == Access && (!activation.IsPermanent || IncludePermanent);
}
