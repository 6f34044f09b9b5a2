using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using PimBridge.Aws.CloudTrail;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;

namespace PimBridge.Aws.Transport;

/// <summary>
/// Source-generated serialization for every wire shape. Unset (null) members are left out of requests, as botocore does;
/// unknown response members are ignored; timestamps are epoch seconds. Use <see cref="Wire"/>, not Default.
/// </summary>
[JsonSerializable(typeof(EmptyResponse))]
[JsonSerializable(typeof(ListInstancesRequest))]
[JsonSerializable(typeof(ListInstancesResponse))]
[JsonSerializable(typeof(AccountAssignmentRequest))]
[JsonSerializable(typeof(CreateAccountAssignmentResponse))]
[JsonSerializable(typeof(DeleteAccountAssignmentResponse))]
[JsonSerializable(typeof(DescribeAccountAssignmentCreationStatusRequest))]
[JsonSerializable(typeof(DescribeAccountAssignmentDeletionStatusRequest))]
[JsonSerializable(typeof(ListAccountAssignmentsRequest))]
[JsonSerializable(typeof(ListAccountAssignmentsResponse))]
[JsonSerializable(typeof(ListAccountAssignmentsForPrincipalRequest))]
[JsonSerializable(typeof(ListAccountAssignmentsForPrincipalResponse))]
[JsonSerializable(typeof(ListPermissionSetsRequest))]
[JsonSerializable(typeof(ListPermissionSetsResponse))]
[JsonSerializable(typeof(PermissionSetRequest))]
[JsonSerializable(typeof(DescribePermissionSetResponse))]
[JsonSerializable(typeof(PutInlinePolicyToPermissionSetRequest))]
[JsonSerializable(typeof(GetInlinePolicyForPermissionSetResponse))]
[JsonSerializable(typeof(ProvisionPermissionSetRequest))]
[JsonSerializable(typeof(ProvisionPermissionSetResponse))]
[JsonSerializable(typeof(DescribePermissionSetProvisioningStatusRequest))]
[JsonSerializable(typeof(DescribePermissionSetProvisioningStatusResponse))]
[JsonSerializable(typeof(ListAccountsForProvisionedPermissionSetRequest))]
[JsonSerializable(typeof(ListAccountsForProvisionedPermissionSetResponse))]
[JsonSerializable(typeof(GetUserIdRequest))]
[JsonSerializable(typeof(GetUserIdResponse))]
[JsonSerializable(typeof(GetGroupIdRequest))]
[JsonSerializable(typeof(GetGroupIdResponse))]
[JsonSerializable(typeof(DescribeUserRequest))]
[JsonSerializable(typeof(DescribeUserResponse))]
[JsonSerializable(typeof(GroupMembershipRequest))]
[JsonSerializable(typeof(GroupMembershipIdResponse))]
[JsonSerializable(typeof(DeleteGroupMembershipRequest))]
[JsonSerializable(typeof(ListGroupMembershipsRequest))]
[JsonSerializable(typeof(ListGroupMembershipsResponse))]
[JsonSerializable(typeof(ListGroupMembershipsForMemberRequest))]
[JsonSerializable(typeof(ListGroupMembershipsForMemberResponse))]
[JsonSerializable(typeof(IsMemberInGroupsRequest))]
[JsonSerializable(typeof(IsMemberInGroupsResponse))]
[JsonSerializable(typeof(LookupEventsRequest))]
[JsonSerializable(typeof(LookupEventsResponse))]
internal sealed partial class AwsJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The wire settings. Minimal escaping keeps policy documents readable on the wire (\" rather than \u0022); the
    /// bodies never end up in HTML, which is all the stricter default encoder protects against.
    /// </summary>
    public static AwsJsonContext Wire { get; } = new(new JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new EpochSecondsConverter() },
    });
}
