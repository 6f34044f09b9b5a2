using PimBridge.Core.Domain;

namespace PimBridge.Core.Ports;

/// <summary>
/// Grants and revokes entitlements in IAM Identity Center: the provider interface, in the spirit of Common Fate's
/// grant / revoke / is-active. Both writes are idempotent: "already exists" and "already gone" are success, and the
/// adapter reads AWS state before writing.
/// </summary>
public interface IEntitlementTarget
{
    Task<bool> IsActiveAsync(Entitlement entitlement, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates the membership or assignment and returns once AWS confirms it, or throws
    /// <see cref="OperationInProgressException"/> when AWS is still carrying it out after the adapter's wait (calling
    /// again resumes that operation). <see cref="EntitlementChange.Found"/>:
    /// it was already there and nothing was sent. <see cref="EntitlementChange.Made"/>: a creation was sent (even if
    /// AWS then said it exists: that may be this caller's own earlier, lost, try). <paramref name="beforeChange"/> runs
    /// after AWS was read and before anything is written, so the caller can record that it is about to act.
    /// </summary>
    Task<EntitlementChange> GrantAsync(Entitlement entitlement, Func<CancellationToken, Task>? beforeChange = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes the membership or assignment and returns once AWS confirms it is gone (or throws
    /// <see cref="OperationInProgressException"/> as <see cref="GrantAsync"/> does): <see cref="EntitlementChange.Made"/>
    /// when a deletion removed it, <see cref="EntitlementChange.Found"/> when there was nothing to delete. An assignment
    /// whose creation is still in progress is not "gone": AWS answers its deletion with a conflict, which propagates.
    /// <paramref name="beforeChange"/> runs before anything is written.
    /// </summary>
    Task<EntitlementChange> RevokeAsync(Entitlement entitlement, Func<CancellationToken, Task>? beforeChange = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The Identity Center users who hold the target directly, as AWS lists them now: the group's user members, or the
    /// users (not groups) assigned the permission set in the account. A listing lags a change (an assignment is not
    /// listed while its creation runs), so compare it with what was confirmed a while ago, never with what was just done.
    /// </summary>
    Task<IReadOnlyList<string>> ListUsersAsync(AccessTarget target, CancellationToken cancellationToken = default);
}

/// <summary>
/// AWS accepted a change and was still carrying it out when the adapter stopped waiting: not a failure. Asking again
/// after <see cref="RetryAfter"/> resumes the same operation. Adapters wait only seconds, so no tick spends minutes on one
/// operation while removals fall due (I6); an operation that stays in progress too long fails as any other.
/// </summary>
public sealed class OperationInProgressException(string message, TimeSpan retryAfter) : Exception(message), IRetryAfterHint
{
    public TimeSpan RetryAfter { get; } = retryAfter;

    TimeSpan? IRetryAfterHint.RetryAfter => RetryAfter;
}

/// <summary>
/// The permission set no longer exists in the Identity Center instance: another hand deleted it, having removed it from
/// every account, so its roles, and every session they issued, went with it.
/// </summary>
public sealed class PermissionSetDeletedException(string permissionSetArn)
    : Exception($"The permission set {permissionSetArn} no longer exists in the Identity Center instance (it was deleted).")
{
    public string PermissionSetArn { get; } = permissionSetArn;
}

/// <summary>What a grant or revoke found: whether this call made the change, or found AWS already so.</summary>
public enum EntitlementChange { Made, Found }

/// <summary>A permission set's inline policy, where session fences live.</summary>
public interface IPermissionSetPolicies
{
    /// <summary>
    /// The inline policy JSON, or null when there is none. Throws <see cref="PermissionSetDeletedException"/> when the
    /// instance answers and lists no such permission set.
    /// </summary>
    Task<string?> GetInlinePolicyAsync(string permissionSetArn, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the inline policy (null deletes it), then provisions the permission set to all accounts it is provisioned
    /// in and waits for provisioning to finish, so the change reaches the roles before this returns; or throws
    /// <see cref="OperationInProgressException"/> while provisioning still runs (the next call resumes it).
    /// </summary>
    Task WriteInlinePolicyAsync(string permissionSetArn, string? policy, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes every account's role carry the permission set's current policy: provisions (and waits) when any account
    /// is not on the latest version, for example after a write whose provisioning failed. Returns whether it
    /// provisioned. Throws when provisioning fails in any account, and <see cref="OperationInProgressException"/> while
    /// a provisioning this adapter started still runs.
    /// </summary>
    Task<bool> ProvisionWhereStaleAsync(string permissionSetArn, CancellationToken cancellationToken = default);

    /// <summary>
    /// The accounts whose role does not carry the permission set's latest version (read only), or null when the answer
    /// cannot be trusted: a service that ignores the status filter (moto does) lists an account under both statuses.
    /// </summary>
    Task<IReadOnlyList<string>?> ListStaleAccountsAsync(string permissionSetArn, CancellationToken cancellationToken = default);
}

/// <summary>Read-only facts about the Identity Center instance, cached by the adapter.</summary>
public interface IIdentityCenterDirectory
{
    /// <summary>The permission sets and accounts an Identity Center group is assigned (its account assignments).</summary>
    Task<IReadOnlyList<PermissionSetAccount>> GetGroupAssignmentsAsync(string groupId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The permission set's session duration now (read fresh, not cached): how long a role session it issues can live.
    /// Throws <see cref="PermissionSetDeletedException"/> when the instance lists no such permission set.
    /// </summary>
    Task<TimeSpan> GetSessionDurationAsync(string permissionSetArn, CancellationToken cancellationToken = default);

    /// <summary>A permission set's name: CloudTrail knows sessions by the role <c>AWSReservedSSO_&lt;name&gt;_&lt;hash&gt;</c>.</summary>
    Task<string> GetPermissionSetNameAsync(string permissionSetArn, CancellationToken cancellationToken = default);

    /// <summary>The ARN of a permission set given by name or ARN.</summary>
    Task<string> ResolvePermissionSetArnAsync(string nameOrArn, CancellationToken cancellationToken = default);

    /// <summary>The id of an Identity Center group given by id or display name.</summary>
    Task<string> ResolveGroupIdAsync(string idOrDisplayName, CancellationToken cancellationToken = default);
}

/// <summary>Maps an Entra principal to its Identity Center user; null when it has none.</summary>
public interface IUserMapping
{
    /// <summary>How the mapping matches, for messages: for example "userPrincipalName → userName".</summary>
    string Describe { get; }

    Task<IdentityCenterUser?> FindAsync(EntraPrincipal principal, CancellationToken cancellationToken = default);
}

/// <summary>The AWS-side collaborators the enforcer acts through: the four ports above, together.</summary>
public sealed record IdentityCenterPorts(IEntitlementTarget Entitlements, IPermissionSetPolicies Policies, IIdentityCenterDirectory Directory, IUserMapping Users);
