using PimBridge.Aws.Transport;

namespace PimBridge.Aws.IdentityStore;

/// <summary>Identity Store API, the operations PimBridge needs. Thread-safe; create one per identity store and share it.</summary>
public sealed class IdentityStoreClient : IDisposable
{
    private static AwsJsonContext Json => AwsJsonContext.Wire;

    private readonly AwsJsonTransport _transport;

    public IdentityStoreClient(IdentityStoreClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _transport = new AwsJsonTransport(AwsService.IdentityStore, options);
    }

    public Uri Endpoint => _transport.Endpoint;

    internal AwsJsonTransport Transport => _transport;

    /// <summary>
    /// Sends any identitystore operation as a raw JSON body, signed, rate-limited and retried like the typed operations,
    /// and returns the raw JSON answer. For operations PimBridge itself never performs (the sandbox creates users and
    /// groups with it); PimBridge's own work goes through the typed methods.
    /// </summary>
    public Task<byte[]> SendJsonAsync(string operation, byte[] body, CancellationToken cancellationToken = default) =>
        _transport.SendAsync(operation, body, cancellationToken);

    public Task<GetUserIdResponse> GetUserIdAsync(GetUserIdRequest request, CancellationToken cancellationToken = default) =>
        _transport.SendAsync("GetUserId", request, Json.GetUserIdRequest, Json.GetUserIdResponse, cancellationToken);

    public Task<GetGroupIdResponse> GetGroupIdAsync(GetGroupIdRequest request, CancellationToken cancellationToken = default) =>
        _transport.SendAsync("GetGroupId", request, Json.GetGroupIdRequest, Json.GetGroupIdResponse, cancellationToken);

    public Task<DescribeUserResponse> DescribeUserAsync(DescribeUserRequest request, CancellationToken cancellationToken = default) =>
        _transport.SendAsync("DescribeUser", request, Json.DescribeUserRequest, Json.DescribeUserResponse, cancellationToken);

    public Task<GroupMembershipIdResponse> CreateGroupMembershipAsync(GroupMembershipRequest request, CancellationToken cancellationToken = default) =>
        _transport.SendAsync("CreateGroupMembership", Checked(request.MemberId, request), Json.GroupMembershipRequest, Json.GroupMembershipIdResponse, cancellationToken);

    public Task<EmptyResponse> DeleteGroupMembershipAsync(DeleteGroupMembershipRequest request, CancellationToken cancellationToken = default) =>
        _transport.SendAsync("DeleteGroupMembership", request, Json.DeleteGroupMembershipRequest, Json.EmptyResponse, cancellationToken);

    public Task<GroupMembershipIdResponse> GetGroupMembershipIdAsync(GroupMembershipRequest request, CancellationToken cancellationToken = default) =>
        _transport.SendAsync("GetGroupMembershipId", Checked(request.MemberId, request), Json.GroupMembershipRequest, Json.GroupMembershipIdResponse, cancellationToken);

    public IAsyncEnumerable<GroupMembership> ListGroupMembershipsForMemberAsync(ListGroupMembershipsForMemberRequest request, CancellationToken cancellationToken = default)
    {
        Checked(request.MemberId, request);
        return Paging.Stream(request.NextToken,
            (token, ct) => _transport.SendAsync("ListGroupMembershipsForMember", request with { NextToken = token },
                Json.ListGroupMembershipsForMemberRequest, Json.ListGroupMembershipsForMemberResponse, ct),
            page => page.GroupMemberships, page => page.NextToken, cancellationToken);
    }

    /// <summary>The group's memberships (its members), page by page.</summary>
    public IAsyncEnumerable<GroupMembership> ListGroupMembershipsAsync(ListGroupMembershipsRequest request, CancellationToken cancellationToken = default) =>
        Paging.Stream(request.NextToken,
            (token, ct) => _transport.SendAsync("ListGroupMemberships", request with { NextToken = token },
                Json.ListGroupMembershipsRequest, Json.ListGroupMembershipsResponse, ct),
            page => page.GroupMemberships, page => page.NextToken, cancellationToken);

    /// <summary>Asks which of 1 to 100 groups the member belongs to.</summary>
    public Task<IsMemberInGroupsResponse> IsMemberInGroupsAsync(IsMemberInGroupsRequest request, CancellationToken cancellationToken = default)
    {
        if (request.GroupIds.Count is < 1 or > 100)
            throw new ArgumentException($"IsMemberInGroups takes 1 to 100 group ids, got {request.GroupIds.Count}; split the list.", nameof(request));
        return _transport.SendAsync("IsMemberInGroups", Checked(request.MemberId, request), Json.IsMemberInGroupsRequest, Json.IsMemberInGroupsResponse, cancellationToken);
    }

    public void Dispose() => _transport.Dispose();

    private static T Checked<T>(MemberId memberId, T request) =>
        string.IsNullOrEmpty(memberId.UserId)
            ? throw new ArgumentException("MemberId must carry UserId (the union's only member); use MemberId.User(userId).", nameof(request))
            : request;
}
