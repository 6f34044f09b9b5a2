using System.Text.Json.Nodes;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Core.Domain;
using PimBridge.Core.Fences;
using PimBridge.Sandbox.Scenarios;

namespace PimBridge.Sandbox;

/// <summary>
/// What Identity Center on moto shows, read back with the engine's own clients: which of a group's permission set and
/// account pairs a user reaches, and whether a permission set's inline policy holds a fence.
/// </summary>
internal sealed class IdentityCenterReadBack(SsoAdminClient ssoAdmin, IdentityStoreClient identityStore, SeededIdentityCenter seeded)
{
    private readonly SsoAdminClient _ssoAdmin = ssoAdmin;
    private readonly IdentityStoreClient _identityStore = identityStore;
    private readonly SeededIdentityCenter _seeded = seeded;

    /// <summary>The permission set and account pairs the group's mapping gives.</summary>
    public static IEnumerable<(string PermissionSet, string Account)> Targets(ScenarioGroup group) =>
        group.Reach.SelectMany(r => r.Accounts.Select(a => (r.PermissionSet, a)));

    /// <summary>
    /// The group's permission set and account pairs Identity Center gives the user the way the group's mapping does:
    /// all of them or none through membership of an Identity Center group, each by its own user assignment otherwise.
    /// </summary>
    public async Task<List<(string PermissionSet, string Account)>> TargetsReachedAsync(string user, ScenarioGroup group, CancellationToken cancellationToken)
    {
        var userId = _seeded.UserIds[user];
        if (group.IdentityCenterGroup is { } ic)
            return await IsMemberAsync(userId, _seeded.GroupIds[ic], cancellationToken).ConfigureAwait(false) ? [.. Targets(group)] : [];

        var reached = new List<(string PermissionSet, string Account)>();
        foreach (var (ps, account) in Targets(group))
        {
            if (await IsAssignedAsync(userId, ps, account, cancellationToken).ConfigureAwait(false))
                reached.Add((ps, account));
        }

        return reached;
    }

    private async Task<bool> IsMemberAsync(string userId, string groupId, CancellationToken cancellationToken)
    {
        await foreach (var m in _identityStore.ListGroupMembershipsForMemberAsync(new ListGroupMembershipsForMemberRequest
        {
            IdentityStoreId = _seeded.IdentityStoreId, MemberId = MemberId.User(userId),
        }, cancellationToken).ConfigureAwait(false))
        {
            if (m.GroupId == groupId) return true;
        }

        return false;
    }

    private async Task<bool> IsAssignedAsync(string userId, string permissionSet, string account, CancellationToken cancellationToken)
    {
        await foreach (var a in _ssoAdmin.ListAccountAssignmentsAsync(new ListAccountAssignmentsRequest
        {
            InstanceArn = _seeded.InstanceArn, AccountId = account, PermissionSetArn = _seeded.PermissionSetArns[permissionSet],
        }, cancellationToken).ConfigureAwait(false))
        {
            if (a.PrincipalType == PrincipalTypes.User && a.PrincipalId == userId) return true;
        }

        return false;
    }

    public async Task<string?> InlinePolicyAsync(string permissionSetArn, CancellationToken cancellationToken) =>
        (await _ssoAdmin.GetInlinePolicyForPermissionSetAsync(new PermissionSetRequest { InstanceArn = _seeded.InstanceArn, PermissionSetArn = permissionSetArn }, cancellationToken).ConfigureAwait(false)).InlinePolicy;

    /// <summary>Whether moto's copy of the inline policy has a PimBridge statement denying this user.</summary>
    public async Task<bool> FenceInPolicyAsync(SessionFence fence, CancellationToken cancellationToken)
    {
        var policy = await InlinePolicyAsync(fence.PermissionSetArn, cancellationToken).ConfigureAwait(false);
        if (policy is null || JsonNode.Parse(policy)?["Statement"] is not JsonArray statements) return false;
        return statements.OfType<JsonObject>().Any(s =>
            s["Sid"]?.GetValue<string>().StartsWith(FencePolicy.SidPrefix, StringComparison.Ordinal) == true
            && s["Effect"]?.GetValue<string>() == "Deny"
            && s.ToJsonString().Contains(fence.UserId, StringComparison.Ordinal));
    }
}
