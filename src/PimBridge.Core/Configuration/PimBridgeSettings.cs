using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Ports;

namespace PimBridge.Core.Configuration;

/// <summary>Configuration after validation: typed, complete, and safe to act on.</summary>
public sealed record PimBridgeSettings(
    IdentityCenterOptions IdentityCenter,
    IReadOnlyList<MappingRule> Mappings,
    FenceSettings Fences,
    EnforcerSettings Enforcer)
{
    /// <summary>Gap detection timing; the source (<see cref="GapSource"/>) is built by the host's adapters.</summary>
    public Gaps.GapSettings Gaps { get; init; } = PimBridge.Core.Gaps.GapSettings.Default;

    /// <summary>Where CloudTrail records come from; null turns the gap detector off.</summary>
    public GapSourceOptions? GapSource { get; init; }

    /// <summary>The sinks, as configured; the host's notification adapter builds and checks them.</summary>
    public NotificationOptions Notifications { get; init; } = new();

    public TimeSpan ExpiryWarning { get; init; } = TimeSpan.FromMinutes(10);
    public VerifierSettings Verifier { get; init; } = VerifierSettings.Default;
}

/// <summary>The drift sweep's interval and its share of Identity Center's request quota.</summary>
public sealed record VerifierSettings(TimeSpan Interval, double RequestsPerSecond)
{
    public static readonly VerifierSettings Default = new(TimeSpan.FromMinutes(5), 5);

    /// <summary>Identity Center's documented request quota, shared by all its APIs (per account and Region).</summary>
    public const double IdentityCenterQuota = 20;

    /// <summary>The most calls one sweep makes: half its interval at its rate, so a sweep never runs into the next.</summary>
    public int CallBudget => Interval.TotalSeconds * RequestsPerSecond / 2 is var calls && calls < int.MaxValue ? (int)Math.Max(1, calls) : int.MaxValue;
}

public sealed record FenceSettings(TimeSpan CutoffMargin, TimeSpan UntilMargin)
{
    public static readonly FenceSettings Default = new(TimeSpan.FromMinutes(60), TimeSpan.FromMinutes(15));
}

public sealed record EnforcerSettings(TimeSpan RetryBaseDelay, TimeSpan RetryMaxDelay, TimeSpan ClaimTimeout, int AlertAfterAttempts, int BatchSize)
{
    /// <summary>
    /// How long an Identity Center operation PimBridge started can still change things: an assignment operation stays
    /// IN_PROGRESS past the client's own wait, and Identity Store lists a new membership late. AWS documents no bound;
    /// within this time after PimBridge's own create or delete, what a listing shows is not trusted.
    /// </summary>
    public TimeSpan OperationSettleTime { get; init; } = TimeSpan.FromMinutes(15);

    public static readonly EnforcerSettings Default = new(TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5), 5, 200);

    /// <summary>Exponential: base · 2^(attempts-1), capped.</summary>
    public TimeSpan RetryDelay(int attempts) =>
        TimeSpan.FromTicks((long)Math.Min(RetryMaxDelay.Ticks, RetryBaseDelay.Ticks * Math.Pow(2, Math.Max(0, attempts - 1))));
}

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

/// <summary>A mapping whose target is resolved to Identity Center ids and ARNs.</summary>
public sealed record ResolvedMapping(MappingRule Rule, string? IdentityCenterGroupId, string? PermissionSetArn)
{
    public string Name => Rule.Name;

    /// <summary>The concrete AWS access this mapping gives one user.</summary>
    public IReadOnlyList<Entitlement> EntitlementsFor(string userId) => IdentityCenterGroupId is { } groupId
        ? [Entitlement.GroupMembership(userId, groupId)]
        : Rule.Accounts.Select(account => Entitlement.AccountAssignment(userId, PermissionSetArn!, account)).ToList();

    /// <summary>Resolves names to ids through the directory; an unknown name fails with the mapping named.</summary>
    public static async Task<IReadOnlyList<ResolvedMapping>> ResolveAsync(
        IReadOnlyList<MappingRule> rules, IIdentityCenterDirectory directory, CancellationToken cancellationToken = default)
    {
        var resolved = new List<ResolvedMapping>(rules.Count);
        foreach (var rule in rules)
        {
            try
            {
                resolved.Add(rule.IdentityCenterGroup is { } group
                    ? new ResolvedMapping(rule, await directory.ResolveGroupIdAsync(group, cancellationToken).ConfigureAwait(false), null)
                    : new ResolvedMapping(rule, null, await directory.ResolvePermissionSetArnAsync(rule.PermissionSet!, cancellationToken).ConfigureAwait(false)));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                var what = rule.IdentityCenterGroup is { } g ? $"Identity Center group '{g}'" : $"permission set '{rule.PermissionSet}'";
                throw new ConfigurationException([$"Mappings '{rule.Name}': {what} could not be resolved: {ex.Message} Check the name in IAM Identity Center, or use the id/ARN."], ex);
            }
        }

        return resolved;
    }
}

/// <summary>Configuration is wrong. <see cref="Problems"/> lists each problem as "where: what is wrong; what to do".</summary>
public sealed class ConfigurationException(IReadOnlyList<string> problems, Exception? inner = null)
    : Exception("The PimBridge configuration is not valid:\n- " + string.Join("\n- ", problems), inner)
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
