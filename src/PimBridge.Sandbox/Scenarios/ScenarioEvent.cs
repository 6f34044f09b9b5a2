namespace PimBridge.Sandbox.Scenarios;

/// <summary>
/// One timeline step, at <see cref="At"/> after the scenario starts. <see cref="Index"/> is its position in the file's
/// timeline (-1 for expiries the runner adds). AWS activity may carry the alert class it expects.
/// </summary>
public sealed record ScenarioEvent
{
    public required int Index { get; init; }
    public required TimeSpan At { get; init; }
    public required ScenarioEventKind Kind { get; init; }
    public required string User { get; init; }
    public string? Group { get; init; }
    public TimeSpan? For { get; init; }
    public string? PermissionSet { get; init; }
    public string? Account { get; init; }

    /// <summary>The API as CloudTrail names it: <c>s3.amazonaws.com</c> and <c>ListBuckets</c>.</summary>
    public string EventSource { get; init; } = "sts.amazonaws.com";

    public string EventName { get; init; } = "GetCallerIdentity";

    /// <summary>The error code AWS answered with (AccessDenied, ...); null for a call that succeeded.</summary>
    public string? Error { get; init; }

    /// <summary>Placed after the user's access ended but before the session fence was confirmed, from the engine's own times.</summary>
    public bool BeforeFence { get; init; }

    /// <summary>When the session's credentials were issued; null: when the user's access went live.</summary>
    public TimeSpan? SessionIssued { get; init; }

    /// <summary>The gap alert class expected for this activity, <c>none</c> for no alert, or null for no expectation.</summary>
    public string? ExpectAlert { get; init; }

    /// <summary>For an <see cref="ScenarioEventKind.Expire"/>: the activation step it ends.</summary>
    public ScenarioEvent? Activation { get; init; }
}
