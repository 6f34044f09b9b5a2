namespace PimBridge.Aws.SsoAdmin;

// Member names are the sso-admin model's (2020-07-20), exactly. Enums are open strings: AWS adds values over time.
// Response members are all nullable: AWS omits members and moto sends explicit nulls.

public static class OperationStatuses
{
    public const string InProgress = "IN_PROGRESS";
    public const string Failed = "FAILED";
    public const string Succeeded = "SUCCEEDED";
}

public static class PrincipalTypes
{
    public const string User = "USER";
    public const string Group = "GROUP";
}

public static class ProvisionTargetTypes
{
    public const string AwsAccount = "AWS_ACCOUNT";
    public const string AllProvisionedAccounts = "ALL_PROVISIONED_ACCOUNTS";
}

/// <summary><c>ListAccountsForProvisionedPermissionSet</c>'s filter: accounts whose role carries the latest version, or not.</summary>
public static class ProvisioningStatuses
{
    public const string LatestProvisioned = "LATEST_PERMISSION_SET_PROVISIONED";
    public const string LatestNotProvisioned = "LATEST_PERMISSION_SET_NOT_PROVISIONED";
}

public sealed record ListInstancesRequest
{
    public int? MaxResults { get; init; }
    public string? NextToken { get; init; }
}

public sealed record ListInstancesResponse
{
    public IReadOnlyList<InstanceMetadata>? Instances { get; init; }
    public string? NextToken { get; init; }
}

public sealed record InstanceMetadata
{
    public string? InstanceArn { get; init; }
    public string? IdentityStoreId { get; init; }
    public string? OwnerAccountId { get; init; }
    public string? Name { get; init; }
    public DateTimeOffset? CreatedDate { get; init; }
    public string? Status { get; init; }
    public string? StatusReason { get; init; }
    public string? PrimaryRegion { get; init; }
    public IReadOnlyList<RegionMetadata>? Regions { get; init; }
}

public sealed record RegionMetadata
{
    public string? RegionName { get; init; }
    public string? Status { get; init; }
    public DateTimeOffset? AddedDate { get; init; }
    public bool? IsPrimaryRegion { get; init; }
}

/// <summary>The request shape shared by CreateAccountAssignment and DeleteAccountAssignment.</summary>
public sealed record AccountAssignmentRequest
{
    public required string InstanceArn { get; init; }
    public required string TargetId { get; init; }
    public string TargetType { get; init; } = ProvisionTargetTypes.AwsAccount;
    public required string PermissionSetArn { get; init; }
    public required string PrincipalType { get; init; }
    public required string PrincipalId { get; init; }
}

public sealed record CreateAccountAssignmentResponse
{
    public AccountAssignmentOperationStatus? AccountAssignmentCreationStatus { get; init; }
}

public sealed record DeleteAccountAssignmentResponse
{
    public AccountAssignmentOperationStatus? AccountAssignmentDeletionStatus { get; init; }
}

public sealed record DescribeAccountAssignmentCreationStatusRequest
{
    public required string InstanceArn { get; init; }
    public required string AccountAssignmentCreationRequestId { get; init; }
}

public sealed record DescribeAccountAssignmentDeletionStatusRequest
{
    public required string InstanceArn { get; init; }
    public required string AccountAssignmentDeletionRequestId { get; init; }
}

public sealed record AccountAssignmentOperationStatus : IOperationStatus
{
    public string? Status { get; init; }
    public string? RequestId { get; init; }
    public string? FailureReason { get; init; }
    public string? TargetId { get; init; }
    public string? TargetType { get; init; }
    public string? PermissionSetArn { get; init; }
    public string? PrincipalType { get; init; }
    public string? PrincipalId { get; init; }
    public DateTimeOffset? CreatedDate { get; init; }
}

public sealed record ListAccountAssignmentsRequest
{
    public required string InstanceArn { get; init; }
    public required string AccountId { get; init; }
    public required string PermissionSetArn { get; init; }
    public int? MaxResults { get; init; }
    public string? NextToken { get; init; }
}

public sealed record ListAccountAssignmentsResponse
{
    public IReadOnlyList<AccountAssignment>? AccountAssignments { get; init; }
    public string? NextToken { get; init; }
}

public sealed record AccountAssignment
{
    public string? AccountId { get; init; }
    public string? PermissionSetArn { get; init; }
    public string? PrincipalType { get; init; }
    public string? PrincipalId { get; init; }
}

public sealed record ListAccountAssignmentsForPrincipalRequest
{
    public required string InstanceArn { get; init; }
    public required string PrincipalId { get; init; }
    public required string PrincipalType { get; init; }
    public ListAccountAssignmentsFilter? Filter { get; init; }
    public string? NextToken { get; init; }
    public int? MaxResults { get; init; }
}

public sealed record ListAccountAssignmentsFilter
{
    public string? AccountId { get; init; }
}

public sealed record ListAccountAssignmentsForPrincipalResponse
{
    public IReadOnlyList<AccountAssignmentForPrincipal>? AccountAssignments { get; init; }
    public string? NextToken { get; init; }
}

public sealed record AccountAssignmentForPrincipal
{
    public string? AccountId { get; init; }
    public string? PermissionSetArn { get; init; }
    public string? PrincipalId { get; init; }
    public string? PrincipalType { get; init; }
}

public sealed record ListPermissionSetsRequest
{
    public required string InstanceArn { get; init; }
    public string? NextToken { get; init; }
    public int? MaxResults { get; init; }
}

public sealed record ListPermissionSetsResponse
{
    public IReadOnlyList<string>? PermissionSets { get; init; }
    public string? NextToken { get; init; }
}

/// <summary>The request shape shared by the operations that address one permission set of an instance.</summary>
public sealed record PermissionSetRequest
{
    public required string InstanceArn { get; init; }
    public required string PermissionSetArn { get; init; }
}

public sealed record DescribePermissionSetResponse
{
    public PermissionSet? PermissionSet { get; init; }
}

public sealed record PermissionSet
{
    public string? Name { get; init; }
    public string? PermissionSetArn { get; init; }
    public string? Description { get; init; }
    public DateTimeOffset? CreatedDate { get; init; }
    public string? SessionDuration { get; init; }
    public string? RelayState { get; init; }
}

public sealed record PutInlinePolicyToPermissionSetRequest
{
    public required string InstanceArn { get; init; }
    public required string PermissionSetArn { get; init; }
    public required string InlinePolicy { get; init; }
}

public sealed record GetInlinePolicyForPermissionSetResponse
{
    /// <summary>The policy JSON, or null when the permission set has none (AWS may send "", null or nothing).</summary>
    public string? InlinePolicy { get; init; }
}

public sealed record ProvisionPermissionSetRequest
{
    public required string InstanceArn { get; init; }
    public required string PermissionSetArn { get; init; }
    public string? TargetId { get; init; }
    public required string TargetType { get; init; }
}

public sealed record ProvisionPermissionSetResponse
{
    public PermissionSetProvisioningStatus? PermissionSetProvisioningStatus { get; init; }
}

public sealed record DescribePermissionSetProvisioningStatusRequest
{
    public required string InstanceArn { get; init; }
    public required string ProvisionPermissionSetRequestId { get; init; }
}

public sealed record DescribePermissionSetProvisioningStatusResponse
{
    public PermissionSetProvisioningStatus? PermissionSetProvisioningStatus { get; init; }
}

public sealed record PermissionSetProvisioningStatus : IOperationStatus
{
    public string? Status { get; init; }
    public string? RequestId { get; init; }
    public string? AccountId { get; init; }
    public string? PermissionSetArn { get; init; }
    public string? FailureReason { get; init; }
    public DateTimeOffset? CreatedDate { get; init; }
}

public sealed record ListAccountsForProvisionedPermissionSetRequest
{
    public required string InstanceArn { get; init; }
    public required string PermissionSetArn { get; init; }
    public string? ProvisioningStatus { get; init; }
    public int? MaxResults { get; init; }
    public string? NextToken { get; init; }
}

public sealed record ListAccountsForProvisionedPermissionSetResponse
{
    public IReadOnlyList<string>? AccountIds { get; init; }
    public string? NextToken { get; init; }
}
