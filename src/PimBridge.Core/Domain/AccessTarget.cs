namespace PimBridge.Core.Domain;

/// <summary>
/// What a mapping gives access to, for any user: membership of an Identity Center group, or a permission set in one
/// account. <see cref="For"/> makes it one user's <see cref="Entitlement"/>.
/// </summary>
public sealed record AccessTarget(EntitlementKind Kind, string? GroupId, string? PermissionSetArn, string? AccountId)
{
    public static AccessTarget Group(string groupId) => new(EntitlementKind.GroupMembership, groupId, null, null);

    public static AccessTarget Assignment(string permissionSetArn, string accountId) =>
        new(EntitlementKind.AccountAssignment, null, permissionSetArn, accountId);

    public Entitlement For(string userId) => new(Kind, userId, GroupId, PermissionSetArn, AccountId);

    public override string ToString() => Kind == EntitlementKind.GroupMembership
        ? $"Identity Center group {GroupId}"
        : $"permission set {PermissionSetArn} in account {AccountId}";
}
