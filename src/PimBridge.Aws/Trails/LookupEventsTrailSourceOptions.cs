using Amazon.Runtime;
using Amazon.SecurityToken;
using PimBridge.Aws.CloudTrail;

namespace PimBridge.Aws.Trails;

/// <summary>Settings of <see cref="LookupEventsTrailSource"/>. <see cref="TrailSources.Create"/> fills them from configuration.</summary>
public sealed class LookupEventsTrailSourceOptions
{
    public const string DefaultSessionName = "pimbridge-gap-detector";

    /// <summary>Regions to read in every watched account: LookupEvents sees only the Region it is called in. Required.</summary>
    public IReadOnlyList<string> Regions { get; set; } = [];

    /// <summary>
    /// The read-only role to assume in each account: a role name (with its path, if any), which becomes
    /// <c>arn:aws:iam::&lt;account&gt;:role/&lt;name&gt;</c>, or an ARN template containing <c>{account}</c> (other partitions).
    /// </summary>
    public string AuditRole { get; set; } = "";

    /// <summary>The external id the audit role's trust policy demands, if any.</summary>
    public string? ExternalId { get; set; }

    /// <summary>The role session name; it shows in the member accounts' CloudTrail as who read the events.</summary>
    public string RoleSessionName { get; set; } = DefaultSessionName;

    /// <summary>AssumeRole <c>DurationSeconds</c>; null leaves STS's default (1 hour).</summary>
    public TimeSpan? RoleSessionDuration { get; set; }

    /// <summary>Assumed credentials are replaced this long before they expire, so no call is signed with expiring ones.</summary>
    public TimeSpan CredentialRefreshMargin { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The account that owns Identity Center; when set, its <c>GetRoleCredentials</c> events are read too.</summary>
    public string? IdentityCenterAccountId { get; set; }

    /// <summary>The Region of Identity Center, where <c>GetRoleCredentials</c> is recorded. Null: the first of <see cref="Regions"/>.</summary>
    public string? IdentityCenterRegion { get; set; }

    /// <summary>
    /// The longest time range of one LookupEvents run. Short runs keep each batch small and let a restart lose little;
    /// long ones save calls when there is little activity. Whole seconds; at least one.
    /// </summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How far back event history reaches (90 days); older parts of a query are not asked for.</summary>
    public TimeSpan History { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How many (account, Region) pairs are read at once. Each pair keeps its own 2 requests/second limit.</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>The STS client to assume roles with. Null: one is created from <see cref="Credentials"/>, <see cref="StsRegion"/> and <see cref="StsEndpoint"/>, and disposed with the source.</summary>
    public IAmazonSecurityTokenService? SecurityTokenService { get; set; }

    /// <summary>PimBridge's own credentials, which call AssumeRole. Null: the AWS SDK default chain.</summary>
    public AWSCredentials? Credentials { get; set; }

    /// <summary>The Region of the STS endpoint. Null: <see cref="IdentityCenterRegion"/>, else the first of <see cref="Regions"/>.</summary>
    public string? StsRegion { get; set; }

    /// <summary>Overrides the STS endpoint (VPC endpoints, emulators).</summary>
    public Uri? StsEndpoint { get; set; }

    /// <summary>
    /// Adjusts each (account, Region) CloudTrail client's options after the source set <c>Region</c>, <c>Credentials</c>
    /// and <c>TimeProvider</c>: an endpoint override, an HTTP handler for tests, retry settings.
    /// </summary>
    public Action<string, string, CloudTrailClientOptions>? ConfigureCloudTrail { get; set; }

    /// <summary>"Now" for windows and credential expiry, and the clients' clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
