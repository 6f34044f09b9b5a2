using PimBridge.Core.Engine;

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

public sealed class IdentityCenterOptions
{
    /// <summary>arn:aws:sso:::instance/ssoins-…</summary>
    public string InstanceArn { get; set; } = "";

    /// <summary>d-… (or a GUID): the instance's identity store.</summary>
    public string IdentityStoreId { get; set; } = "";

    /// <summary>The Region the Identity Center instance lives in.</summary>
    public string Region { get; set; } = "";

    /// <summary>
    /// How an Entra user finds their Identity Center user: <c>userPrincipalName</c> (default, matched to
    /// <c>userName</c>) or <c>mail</c> (matched to <c>emails.value</c>).
    /// </summary>
    public string MatchUsersBy { get; set; } = "userPrincipalName";
}

/// <summary>Binds one Entra PIM group (and access) to AWS access: an Identity Center group, or account assignments.</summary>
public sealed class MappingOptions
{
    /// <summary>A short unique name, used in grant ids, logs and alerts.</summary>
    public string Name { get; set; } = "";

    /// <summary>The Entra group's object id (a GUID).</summary>
    public string EntraGroupId { get; set; } = "";

    /// <summary><c>member</c> (default) or <c>owner</c>: which PIM-for-Groups relationship counts.</summary>
    public string Access { get; set; } = "member";

    public IdentityCenterGroupTargetOptions? IdentityCenterGroup { get; set; }
    public AccountAssignmentsTargetOptions? AccountAssignments { get; set; }

    /// <summary>Caps each activation at its start plus this duration, whatever PIM allows. Empty means no cap.</summary>
    public string? MaxDuration { get; set; }

    /// <summary>Whether permanent (<c>assigned</c>) PIM memberships grant access too. Default: only activations.</summary>
    public bool IncludePermanent { get; set; }

    /// <summary>Whether live sessions are fenced when access ends. Default on.</summary>
    public bool FenceSessions { get; set; } = true;
}

public sealed class IdentityCenterGroupTargetOptions
{
    /// <summary>The Identity Center group id. Set this or <see cref="DisplayName"/>.</summary>
    public string? Id { get; set; }

    public string? DisplayName { get; set; }
}

public sealed class AccountAssignmentsTargetOptions
{
    /// <summary>The permission set's name or ARN.</summary>
    public string PermissionSet { get; set; } = "";

    /// <summary>12-digit AWS account ids.</summary>
    public List<string> Accounts { get; set; } = [];
}

public sealed class FenceOptions
{
    /// <summary>
    /// Added to the confirmed removal time to get the fence cutoff, to catch credentials minted while the removal
    /// propagates (AWS documents up to an hour on the SCIM path). A re-grant pulls the cutoff back to its start.
    /// </summary>
    public string CutoffMargin { get; set; } = "60m";

    /// <summary>Added to cutoff + session duration before a fence is lifted.</summary>
    public string UntilMargin { get; set; } = "15m";
}

public sealed class EnforcerOptions
{
    /// <summary>First retry delay of a failed intent; doubles per attempt up to <see cref="RetryMaxDelay"/>.</summary>
    public string RetryBaseDelay { get; set; } = "5s";

    public string RetryMaxDelay { get; set; } = "5m";

    /// <summary>How long a claimed intent is reserved for its executor before another instance may retry it.</summary>
    public string ClaimTimeout { get; set; } = "5m";

    /// <summary>After this many failed attempts an intent raises a critical alert (and keeps retrying).</summary>
    public int AlertAfterAttempts { get; set; } = 5;

    /// <summary>Most items of each kind one tick takes on.</summary>
    public int BatchSize { get; set; } = 200;
}

/// <summary>The drift sweep: how often Identity Center is compared with the ledger, and how gently.</summary>
public sealed class VerifierOptions
{
    /// <summary>How often the sweep runs (<c>serve</c>); a drift is repaired within one interval.</summary>
    public string Interval { get; set; } = "5m";
    /// <summary>
    /// The sweep's share of Identity Center's request quota (20 requests a second across its APIs): it never sends
    /// faster, so grants and removals keep the rest.
    /// </summary>
    public double RequestsPerSecond { get; set; } = 5;
}

public sealed class GapOptions
{
    /// <summary>How long after a fence's until time CloudTrail may still deliver events for it; the watch window closes then.</summary>
    public string DeliveryLag { get; set; } = "15m";

    /// <summary>How often the gap detector reads its source.</summary>
    public string Interval { get; set; } = "5m";

    /// <summary>Where CloudTrail records come from; none configured turns the gap detector off.</summary>
    public GapSourceOptions? Source { get; set; }
}

public sealed class GapSourceOptions
{
    /// <summary><c>lookup-events</c>, <c>s3</c> or <c>directory</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary>Regions to read (LookupEvents and S3). Empty: the Identity Center region (S3 also discovers the trail's regions).</summary>
    public List<string> Regions { get; set; } = [];

    /// <summary>lookup-events: the read-only role to assume in each member account (name, or an ARN template with <c>{account}</c>).</summary>
    public string? AuditRoleName { get; set; }

    /// <summary>lookup-events: the external id the audit role's trust policy demands, if any.</summary>
    public string? ExternalId { get; set; }

    /// <summary>lookup-events: the account that owns Identity Center, where GetRoleCredentials is recorded.</summary>
    public string? IdentityCenterAccountId { get; set; }

    /// <summary>s3: the organization trail bucket.</summary>
    public string? Bucket { get; set; }

    /// <summary>s3: the trail's key prefix, if any (before <c>AWSLogs/</c>).</summary>
    public string? Prefix { get; set; }

    /// <summary>s3: the organization id (<c>o-…</c>); empty for a single-account trail.</summary>
    public string? OrganizationId { get; set; }

    /// <summary>directory: the folder of trail files (<c>.json.gz</c> or <c>.json</c>), read recursively.</summary>
    public string? Path { get; set; }
}

public sealed class NotificationOptions
{
    /// <summary>How long before a grant's end the engineer is told it expires soon.</summary>
    public string ExpiryWarning { get; set; } = "10m";

    public List<NotificationSinkOptions> Sinks { get; set; } = [];
}

public sealed class NotificationSinkOptions
{
    /// <summary>A unique name, for example <c>security-slack</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary><c>webhook</c>, <c>slack</c>, <c>teams</c>, <c>eventgrid</c> or <c>log</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary>What the sink carries: any of <c>alert</c>, <c>access-live</c>, <c>expires-soon</c>, <c>access-removed</c>. Default: <c>alert</c>.</summary>
    public List<string> Kinds { get; set; } = [];

    /// <summary>Alerts below this severity (<c>info</c>, <c>warning</c>, <c>critical</c>) are not sent. Default: <c>info</c>.</summary>
    public string MinimumSeverity { get; set; } = "info";

    /// <summary>webhook, slack, teams: the URL to post to (a secret: prefer the environment variable).</summary>
    public string? Url { get; set; }

    /// <summary>webhook: extra request headers, for example an authorization header.</summary>
    public Dictionary<string, string> Headers { get; set; } = [];

    /// <summary>eventgrid: the topic endpoint, for example <c>https://topic.westeurope-1.eventgrid.azure.net/api/events</c>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>eventgrid: the topic access key; when empty, Entra authentication with the host's credential.</summary>
    public string? AccessKey { get; set; }
}
