using PimBridge.Core.Domain;

namespace PimBridge.Core.Gaps;

/// <summary>
/// One CloudTrail record, reduced to what gap detection needs (see docs/gaps.md for the field sources). Records come
/// from trail files (<c>{"Records":[...]}</c>), LookupEvents' <c>CloudTrailEvent</c> string, JSON Lines or EventBridge
/// events (<see cref="TrailRecordReader"/>); all parse the same way.
/// </summary>
public sealed record TrailRecord
{
    /// <summary><c>eventID</c>: unique per event; alerts are deduplicated by it. A record without one gets
    /// <c>derived:&lt;hash of its content&gt;</c>, the same for the same event in every export.</summary>
    public required string EventId { get; init; }

    public required DateTimeOffset EventTime { get; init; }
    public required string EventSource { get; init; }
    public required string EventName { get; init; }
    public string? AwsRegion { get; init; }

    /// <summary><c>recipientAccountId</c>, falling back to <c>userIdentity.accountId</c>.</summary>
    public string? AccountId { get; init; }

    /// <summary><c>userIdentity.type</c>: <c>AssumedRole</c> for permission-set role sessions (also when a trimmed record
    /// lost the type but its ARN is an assumed role), <c>SAMLUser</c> for a console sign-in, <c>IdentityCenterUser</c>
    /// (or <c>Unknown</c>) for portal calls.</summary>
    public string? IdentityType { get; init; }

    /// <summary>The role name, <c>AWSReservedSSO_&lt;PermissionSet&gt;_&lt;hash&gt;</c>: <c>sessionContext.sessionIssuer.userName</c>,
    /// else the last segment of <c>sessionIssuer.arn</c>, else the role in <c>userIdentity.arn</c> (<c>assumed-role/&lt;role&gt;/&lt;session&gt;</c>);
    /// for <c>AssumeRoleWithSAML</c>, <c>requestParameters.roleArn</c>, <c>responseElements.assumedRoleUser.arn</c> or the role in <c>resources</c>.</summary>
    public string? RoleName { get; init; }

    /// <summary>The role session name: after the <c>:</c> of <c>principalId</c>, or the last segment of <c>arn</c>. The Identity Center user name.</summary>
    public string? SessionName { get; init; }

    /// <summary><c>userIdentity.onBehalfOf.userId</c>: the Identity Store user id, when present (newer records only).</summary>
    public string? OnBehalfOfUserId { get; init; }

    /// <summary><c>sessionContext.attributes.creationDate</c>: when the session's credentials were issued.</summary>
    public DateTimeOffset? SessionCreatedAt { get; init; }

    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }
    public string? SourceIpAddress { get; init; }
    public string? UserAgent { get; init; }

    /// <summary><c>serviceEventDetails.account_id</c> of a <c>GetRoleCredentials</c> record: the account the credentials are for.</summary>
    public string? TargetAccountId { get; init; }

    /// <summary><c>serviceEventDetails.role_name</c> of a <c>GetRoleCredentials</c> record: the permission set name.</summary>
    public string? TargetRoleName { get; init; }

    public const string ReservedRolePrefix = "AWSReservedSSO_";

    /// <summary>The access portal minting role credentials (recorded in the Identity Center account).</summary>
    public bool IsGetRoleCredentials => EventName == "GetRoleCredentials" && EventSource == "sso.amazonaws.com";

    /// <summary>
    /// STS minting a permission set's role credentials from Identity Center's SAML assertion, in the member account: a
    /// console sign-in (and the second step of the CLI's path). The user is the role session name; there is no onBehalfOf.
    /// </summary>
    public bool IsSamlFederation => EventName == "AssumeRoleWithSAML" && EventSource == "sts.amazonaws.com" && IdentityType != "AssumedRole";

    /// <summary>
    /// The permission set a role session belongs to: <c>AWSReservedSSO_&lt;name&gt;_&lt;16 hex&gt;</c>, anchored at the end
    /// because names may contain <c>_</c>. Null for any other role.
    /// </summary>
    public string? PermissionSetName => PermissionSetNameOf(RoleName);

    public static string? PermissionSetNameOf(string? roleName)
    {
        if (roleName is null) return null;
        var span = roleName.AsSpan();
        var name = PermissionSetNameOf(span);
        return name.IsEmpty ? null : name.ToString();
    }

    /// <summary>The permission set name inside a reserved role name, or empty when it is not one.</summary>
    public static ReadOnlySpan<char> PermissionSetNameOf(ReadOnlySpan<char> roleName)
    {
        const int hash = 16;
        if (!roleName.StartsWith(ReservedRolePrefix, StringComparison.Ordinal) || roleName.Length < ReservedRolePrefix.Length + 1 + 1 + hash)
            return [];
        var separator = roleName.Length - hash - 1;
        if (roleName[separator] != '_') return [];
        foreach (var c in roleName[(separator + 1)..])
            if (!char.IsAsciiHexDigitLower(c)) return [];
        return roleName[ReservedRolePrefix.Length..separator];
    }
}

/// <summary>What a scan read: counted, never thrown, so one bad file or record does not stop a scan.</summary>
public sealed class TrailScanStats
{
    public long Files { get; set; }
    public long Records { get; set; }

    /// <summary>Uncompressed JSON bytes read.</summary>
    public long Bytes { get; set; }

    /// <summary>Records that passed the filter and were parsed in full.</summary>
    public long Candidates { get; set; }

    /// <summary>Records that were not a usable CloudTrail record (no eventTime, a bad one, a wrong type, a broken line).</summary>
    public long MalformedRecords { get; set; }

    /// <summary>Wanted records without an <c>eventID</c> (some exports drop it), given one derived from their content.</summary>
    public long DerivedEventIds { get; set; }

    /// <summary>Wanted records whose <c>eventTime</c> was not CloudTrail's ISO 8601 UTC form (a SIEM's <c>2024-06-02 19:41:40.000000000</c>) and was read as UTC.</summary>
    public long NormalisedTimes { get; set; }

    /// <summary>Files that ended early or were not valid JSON or gzip; the records before the damage are kept.</summary>
    public long DamagedFiles { get; set; }

    /// <summary>Names of the damaged files and what was wrong with each (the first 100).</summary>
    public List<string> Problems { get; } = [];

    public void Add(TrailScanStats other)
    {
        Files += other.Files;
        Records += other.Records;
        Bytes += other.Bytes;
        Candidates += other.Candidates;
        MalformedRecords += other.MalformedRecords;
        DerivedEventIds += other.DerivedEventIds;
        NormalisedTimes += other.NormalisedTimes;
        DamagedFiles += other.DamagedFiles;
        foreach (var p in other.Problems)
            if (Problems.Count < 100) Problems.Add(p);
    }

    internal void Damaged(string origin, string problem)
    {
        DamagedFiles++;
        Note(origin, problem);
    }

    /// <summary>A problem worth naming that did not damage the file (a broken line in JSON Lines).</summary>
    internal void Note(string origin, string problem)
    {
        if (Problems.Count < 100) Problems.Add($"{origin}: {problem}");
    }
}
