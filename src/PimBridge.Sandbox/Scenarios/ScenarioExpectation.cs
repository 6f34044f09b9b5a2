namespace PimBridge.Sandbox.Scenarios;

/// <summary>One expected outcome from the scenario's <c>expect</c> list.</summary>
public sealed record ScenarioExpectation(int Index, ExpectationKind Kind, string? User, string? Group, string? PermissionSet, string? Reason)
{
    public static string KindName(ExpectationKind kind) => kind switch
    {
        ExpectationKind.AccessGranted => "access-granted",
        ExpectationKind.AccessRemoved => "access-removed",
        ExpectationKind.SessionsFenced => "sessions-fenced",
        ExpectationKind.CustomerPolicyKept => "customer-policy-kept",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
