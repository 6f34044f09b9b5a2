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
