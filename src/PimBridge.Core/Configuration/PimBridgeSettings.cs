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
