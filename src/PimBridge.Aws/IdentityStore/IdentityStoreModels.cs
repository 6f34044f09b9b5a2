namespace PimBridge.Aws.IdentityStore;

// Member names are the identitystore model's (2020-06-15), exactly. Response members are nullable (see SsoAdminModels).

/// <summary>The unique attribute paths GetUserId and GetGroupId accept.</summary>
public static class UniqueAttributePaths
{
    public const string UserName = "userName";
    public const string Email = "emails.value";
    public const string GroupDisplayName = "displayName";
}

/// <summary>A union: exactly one of <see cref="UniqueAttribute"/> and <see cref="ExternalId"/> is set, by construction.</summary>
public sealed record AlternateIdentifier
{
    private AlternateIdentifier() { }

    public UniqueAttribute? UniqueAttribute { get; private init; }
    public ExternalId? ExternalId { get; private init; }

    public static AlternateIdentifier ByAttribute(string attributePath, string attributeValue) =>
        new() { UniqueAttribute = new UniqueAttribute { AttributePath = attributePath, AttributeValue = attributeValue } };

    public static AlternateIdentifier ByExternalId(string issuer, string id) =>
        new() { ExternalId = new ExternalId { Issuer = issuer, Id = id } };
}

public sealed record UniqueAttribute
{
    public required string AttributePath { get; init; }

    /// <summary>A document in the model; always sent as a JSON string, the form AWS expects for these paths.</summary>
    public required string AttributeValue { get; init; }
}

public sealed record ExternalId
{
    public required string Issuer { get; init; }
    public required string Id { get; init; }
}

/// <summary>A union with a single member today; <see cref="UserId"/> is required when sending.</summary>
public sealed record MemberId
{
    public string? UserId { get; init; }

    public static MemberId User(string userId) => new() { UserId = userId };
}

public sealed record GetUserIdRequest
{
    public required string IdentityStoreId { get; init; }
    public required AlternateIdentifier AlternateIdentifier { get; init; }
}

public sealed record GetUserIdResponse
{
    public string? IdentityStoreId { get; init; }
    public string? UserId { get; init; }
}

public sealed record GetGroupIdRequest
{
    public required string IdentityStoreId { get; init; }
    public required AlternateIdentifier AlternateIdentifier { get; init; }
}

public sealed record GetGroupIdResponse
{
    public string? GroupId { get; init; }
    public string? IdentityStoreId { get; init; }
}

public sealed record DescribeUserRequest
{
    public required string IdentityStoreId { get; init; }
    public required string UserId { get; init; }
    public IReadOnlyList<string>? Extensions { get; init; }
}

/// <summary>DescribeUser's output. The members PimBridge reads are typed; newer members (Photos, Roles, ...) are ignored.</summary>
public sealed record DescribeUserResponse
{
    public string? IdentityStoreId { get; init; }
    public string? UserId { get; init; }
    public string? UserName { get; init; }
    public IReadOnlyList<ExternalId>? ExternalIds { get; init; }
    public PersonName? Name { get; init; }
    public string? DisplayName { get; init; }
    public IReadOnlyList<Email>? Emails { get; init; }
    public string? UserStatus { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
}

/// <summary>The model's <c>Name</c> structure.</summary>
public sealed record PersonName
{
    public string? Formatted { get; init; }
    public string? FamilyName { get; init; }
    public string? GivenName { get; init; }
}

public sealed record Email
{
    public string? Value { get; init; }
    public string? Type { get; init; }
    public bool? Primary { get; init; }
}

/// <summary>The request shape shared by CreateGroupMembership and GetGroupMembershipId.</summary>
public sealed record GroupMembershipRequest
{
    public required string IdentityStoreId { get; init; }
    public required string GroupId { get; init; }
    public required MemberId MemberId { get; init; }
}

/// <summary>The response shape shared by CreateGroupMembership and GetGroupMembershipId.</summary>
public sealed record GroupMembershipIdResponse
{
    public string? MembershipId { get; init; }
    public string? IdentityStoreId { get; init; }
}

public sealed record DeleteGroupMembershipRequest
{
    public required string IdentityStoreId { get; init; }
    public required string MembershipId { get; init; }
}

public sealed record ListGroupMembershipsForMemberRequest
{
    public required string IdentityStoreId { get; init; }
    public required MemberId MemberId { get; init; }
    public int? MaxResults { get; init; }
    public string? NextToken { get; init; }
}

public sealed record ListGroupMembershipsForMemberResponse
{
    public IReadOnlyList<GroupMembership>? GroupMemberships { get; init; }
    public string? NextToken { get; init; }
}

public sealed record ListGroupMembershipsRequest
{
    public required string IdentityStoreId { get; init; }
    public required string GroupId { get; init; }
    public int? MaxResults { get; init; }
    public string? NextToken { get; init; }
}

public sealed record ListGroupMembershipsResponse
{
    public IReadOnlyList<GroupMembership>? GroupMemberships { get; init; }
    public string? NextToken { get; init; }
}

public sealed record GroupMembership
{
    public string? IdentityStoreId { get; init; }
    public string? MembershipId { get; init; }
    public string? GroupId { get; init; }
    public MemberId? MemberId { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
    public string? CreatedBy { get; init; }
    public string? UpdatedBy { get; init; }
}

public sealed record IsMemberInGroupsRequest
{
    public required string IdentityStoreId { get; init; }
    public required MemberId MemberId { get; init; }
    public required IReadOnlyList<string> GroupIds { get; init; }
}

public sealed record IsMemberInGroupsResponse
{
    public IReadOnlyList<GroupMembershipExistenceResult>? Results { get; init; }
}

public sealed record GroupMembershipExistenceResult
{
    public string? GroupId { get; init; }
    public MemberId? MemberId { get; init; }
    public bool? MembershipExists { get; init; }
}
