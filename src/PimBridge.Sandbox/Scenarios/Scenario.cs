namespace PimBridge.Sandbox.Scenarios;

/// <summary>A permission set the sandbox creates in Identity Center, with an optional customer inline policy PimBridge must keep.</summary>
public sealed record ScenarioPermissionSet(string Name, TimeSpan SessionDuration, string? CustomerPolicy);

/// <summary>One permission set assigned in some accounts.</summary>
public sealed record ScenarioAssignment(string PermissionSet, IReadOnlyList<string> Accounts);

/// <summary>A standing Identity Center group with its account assignments: a mapping can make PIM activations members of it.</summary>
public sealed record ScenarioIdentityCenterGroup(string Name, IReadOnlyList<ScenarioAssignment> Assignments);

/// <summary>A person: <see cref="Name"/> in the scenario, <see cref="UserName"/> as Entra's UPN and Identity Center's user name.</summary>
public sealed record ScenarioUser(string Name, string UserName);

/// <summary>
/// A PIM-enabled Entra group and the PimBridge mapping for it: either a permission set in accounts, or membership of
/// an Identity Center group. <see cref="Reach"/> is the AWS access an activation of it gives.
/// </summary>
public sealed record ScenarioGroup(string Name, string? PermissionSet, IReadOnlyList<string> Accounts, string? IdentityCenterGroup, bool FenceSessions, IReadOnlyList<ScenarioAssignment> Reach)
{
    public bool Reaches(string permissionSet, string account) =>
        Reach.Any(r => r.PermissionSet == permissionSet && r.Accounts.Contains(account));
}

/// <summary>What happens at a timeline step.</summary>
public enum ScenarioEventKind
{
    /// <summary>A user activates their PIM eligibility in a group for a while (PIM then expires it by itself).</summary>
    Activate,

    /// <summary>A user deactivates their active PIM activation early.</summary>
    Deactivate,

    /// <summary>A user calls an AWS API with a permission set's role session in an account (CloudTrail records it).</summary>
    AwsCall,

    /// <summary>A user gets role credentials from the access portal (CloudTrail records it in the Identity Center account).</summary>
    GetRoleCredentials,

    /// <summary>PIM ends an activation at its end time; the runner adds these, scenarios do not list them.</summary>
    Expire,
}

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

/// <summary>The outcomes a scenario can expect besides alerts.</summary>
public enum ExpectationKind
{
    /// <summary>An activation of the user in the group became AWS access (read back from Identity Center).</summary>
    AccessGranted,

    /// <summary>The user's access through the group was removed from Identity Center when PIM's activation ended.</summary>
    AccessRemoved,

    /// <summary>The user's live sessions of the permission set were fenced (a Deny in the inline policy, provisioned).</summary>
    SessionsFenced,

    /// <summary>At the end, every statement of the permission set's customer inline policy is still there, unchanged.</summary>
    CustomerPolicyKept,
}

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

/// <summary>
/// A sandbox scenario: the Identity Center it seeds, the PIM groups and their mappings, a timeline of PIM and AWS
/// events, and the outcomes it expects. The format is documented in docs/sandbox.md; <see cref="ScenarioReader"/>
/// reads and checks it.
/// </summary>
public sealed record Scenario
{
    /// <summary>The built-in scenario's resource name.</summary>
    public const string DefaultResource = "PimBridge.Sandbox.Scenarios.default.json";

    public required string Name { get; init; }
    public string? Description { get; init; }

    /// <summary>Scenario seconds per real second.</summary>
    public required double Speed { get; init; }

    public required IReadOnlyList<ScenarioPermissionSet> PermissionSets { get; init; }
    public required IReadOnlyList<ScenarioIdentityCenterGroup> IdentityCenterGroups { get; init; }
    public required IReadOnlyList<ScenarioUser> Users { get; init; }
    public required IReadOnlyList<ScenarioGroup> Groups { get; init; }

    /// <summary>The file's timeline, in order.</summary>
    public required IReadOnlyList<ScenarioEvent> Timeline { get; init; }

    /// <summary>The timeline with PIM's expiries inserted where they fall (before other steps at the same time).</summary>
    public required IReadOnlyList<ScenarioEvent> Steps { get; init; }

    public required IReadOnlyList<ScenarioExpectation> Expectations { get; init; }

    public ScenarioUser User(string name) => Users.Single(u => u.Name == name);

    public ScenarioGroup Group(string name) => Groups.Single(g => g.Name == name);

    public ScenarioPermissionSet PermissionSet(string name) => PermissionSets.Single(p => p.Name == name);

    /// <summary>The built-in scenario, embedded in this assembly.</summary>
    public static Scenario Default()
    {
        using var stream = typeof(Scenario).Assembly.GetManifestResourceStream(DefaultResource)
            ?? throw new InvalidOperationException($"The built-in scenario resource {DefaultResource} is missing from {typeof(Scenario).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return ScenarioReader.Parse(reader.ReadToEnd(), "the built-in scenario");
    }
}

/// <summary>A scenario file that cannot be used; the message lists every problem, each naming where it is and what to do.</summary>
public sealed class ScenarioFormatException(string source, IReadOnlyList<string> problems)
    : Exception($"{source} is not a valid sandbox scenario: {string.Join("; ", problems)}. See docs/sandbox.md for the format.")
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
