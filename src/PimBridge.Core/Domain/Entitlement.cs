namespace PimBridge.Core.Domain;

public enum EntitlementKind
{
    GroupMembership,
    AccountAssignment,
}

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

/// <summary>A permission set in an account, as a group's account assignment or a fence target.</summary>
public sealed record PermissionSetAccount(string PermissionSetArn, string AccountId);
