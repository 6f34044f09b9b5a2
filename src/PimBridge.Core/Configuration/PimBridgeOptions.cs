namespace PimBridge.Core.Configuration;

/// <summary>
/// PimBridge's configuration, bound from JSON and environment variables (prefix <c>PIMBRIDGE_</c>, sections joined
/// with <c>__</c>, for example <c>PIMBRIDGE_Fences__CutoffMargin=30m</c>). Durations accept <c>90s</c>, <c>30m</c>,
/// <c>8h</c>, <c>1d</c>, ISO-8601 (<c>PT8H</c>) or <c>hh:mm:ss</c>.
/// </summary>
public sealed class PimBridgeOptions
{
    public IdentityCenterOptions IdentityCenter { get; set; } = new();
    public List<MappingOptions> Mappings { get; set; } = [];
    public FenceOptions Fences { get; set; } = new();
    public EnforcerOptions Enforcer { get; set; } = new();
    public GapOptions Gaps { get; set; } = new();
    public VerifierOptions Verifier { get; set; } = new();
    public NotificationOptions Notifications { get; set; } = new();
}
