namespace PimBridge.Core.Domain;

/// <summary>
/// One concrete piece of AWS access for one Identity Center user: a membership of an Identity Center group, or an
/// account assignment of a permission set in one account.
/// </summary>
public sealed record Entitlement(EntitlementKind Kind, string UserId, string? GroupId, string? PermissionSetArn, string? AccountId)
{
    public static Entitlement GroupMembership(string userId, string groupId) =>
        new(EntitlementKind.GroupMembership, userId, groupId, null, null);

    public static Entitlement AccountAssignment(string userId, string permissionSetArn, string accountId) =>
        new(EntitlementKind.AccountAssignment, userId, null, permissionSetArn, accountId);

    /// <summary>The access, for any user.</summary>
    public AccessTarget Target => new(Kind, GroupId, PermissionSetArn, AccountId);

    /// <summary>Stable identity of the access, shared by every grant that holds it.</summary>
    public string Key => Kind == EntitlementKind.GroupMembership
        ? $"gm|{UserId}|{GroupId}"
        : $"aa|{UserId}|{PermissionSetArn}|{AccountId}";

    /// <summary>The entitlement a <see cref="Key"/> names; null for text that is not one.</summary>
    public static Entitlement? FromKey(string key) => key.Split('|') switch
    {
        ["gm", var user, var group] => GroupMembership(user, group),
        ["aa", var user, var permissionSet, var account] => AccountAssignment(user, permissionSet, account),
        _ => null,
    };

    public override string ToString() => Kind == EntitlementKind.GroupMembership
        ? $"membership of user {UserId} in group {GroupId}"
        : $"assignment of {PermissionSetArn} to user {UserId} in account {AccountId}";
}
