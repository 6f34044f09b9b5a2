namespace PimBridge.Core.Telemetry;

/// <summary>
/// The names PimBridge traces and counts under: each assembly has one <c>System.Diagnostics.ActivitySource</c> and one
/// <c>Meter</c>, both of its own name, and a host that exports them (OpenTelemetry, the Prometheus endpoint) takes the
/// list from here.
/// </summary>
public static class PimBridgeTelemetry
{
    /// <summary>The engine (reconcile, intents) and the gap detector.</summary>
    public const string Core = "PimBridge.Core";

    /// <summary>The sso-admin, identitystore and CloudTrail transport.</summary>
    public const string Aws = "PimBridge.Aws";

    /// <summary>The Microsoft Graph client.</summary>
    public const string Entra = "PimBridge.Entra";

    /// <summary>The web host's event endpoint.</summary>
    public const string Host = "PimBridge.Host";

    /// <summary>Every source and meter name.</summary>
    public static IReadOnlyList<string> SourceNames { get; } = [Core, Aws, Entra, Host];
}
