using System.Text.Json.Nodes;

using PimBridge.Core.Domain;
using PimBridge.Core.Fences;
using PimBridge.Core.Ports;

namespace PimBridge.Testing;

/// <summary>Thrown where a simulated process dies: nothing after this point runs, in that process.</summary>
public sealed class SimulatedCrash(string where) : Exception($"simulated crash {where}");

/// <summary>An AWS-shaped failure the engine must survive (throttling, conflicts).</summary>
public sealed class SimulatedAwsFault(string code) : Exception($"{code}: simulated AWS fault")
{
    public string Code { get; } = code;
}

/// <summary>
/// IAM Identity Center as the engine's ports see it, in memory: memberships, assignments, inline policies,
/// provisioning, group assignments and session durations, plus users for identity mapping. Faults and crashes can be
/// scheduled per operation. It keeps a log of writes so tests can assert what was done and in which order.
/// </summary>
public sealed class SimulatedIdentityCenter : IEntitlementTarget, IPermissionSetPolicies, IIdentityCenterDirectory, IUserMapping
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _active = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Entitlement> _made = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _policies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _provisioned = new(StringComparer.Ordinal);
    private readonly Queue<(string Operation, Func<Exception> Fault, bool AfterEffect)> _faults = new();

    public Dictionary<string, IdentityCenterUser> Users { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, List<PermissionSetAccount>> GroupAssignments { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, TimeSpan> SessionDurations { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> PermissionSetsByName { get; } = new(StringComparer.Ordinal);
    public List<string> Writes { get; } = [];

    /// <summary>Set by a scheduled crash; a <see cref="CrashableStore"/> then refuses everything until restart.</summary>
    public bool Crashed { get => Life.Dead; set => Life.Dead = value; }

    /// <summary>The simulated process these ports belong to.</summary>
    public ProcessLife Life { get; } = new();

    public int ProvisionCount { get; private set; }

    public bool IsActive(Entitlement entitlement) { lock (_gate) return _active.Contains(entitlement.Key); }

    public IReadOnlyCollection<string> ActiveKeys { get { lock (_gate) return _active.ToList(); } }

    public string? Policy(string permissionSetArn) { lock (_gate) return _policies.GetValueOrDefault(permissionSetArn); }

    /// <summary>The policy as it has reached the roles (written and provisioned).</summary>
    public string? ProvisionedPolicy(string permissionSetArn) { lock (_gate) return _provisioned.GetValueOrDefault(permissionSetArn); }

    public void SetPolicy(string permissionSetArn, string? policy)
    {
        lock (_gate)
        {
            if (policy is null) _policies.Remove(permissionSetArn); else _policies[permissionSetArn] = policy;
            if (policy is null) _provisioned.Remove(permissionSetArn); else _provisioned[permissionSetArn] = policy;
        }
    }

    /// <summary>The next call of <paramref name="operation"/> (Grant, Revoke, GetPolicy, WritePolicy) fails before any effect.</summary>
    public void FailNext(string operation, Func<Exception> fault) { lock (_gate) _faults.Enqueue((operation, fault, false)); }

    /// <summary>The next call of <paramref name="operation"/> dies: before its effect, or after it (and before it returns).</summary>
    public void CrashNext(string operation, bool afterEffect)
    {
        lock (_gate) _faults.Enqueue((operation, () => { Crashed = true; return new SimulatedCrash($"{(afterEffect ? "after" : "before")} {operation}"); }, afterEffect));
    }

    public void ClearFaults() { lock (_gate) _faults.Clear(); }

    public Task<bool> IsActiveAsync(Entitlement entitlement, CancellationToken cancellationToken = default) => Task.FromResult(IsActive(entitlement));

    public async Task<EntitlementChange> GrantAsync(Entitlement entitlement, Func<CancellationToken, Task>? beforeChange = null, CancellationToken cancellationToken = default)
    {
        if (IsActive(entitlement)) return EntitlementChange.Found;
        if (beforeChange is not null) await beforeChange(cancellationToken).ConfigureAwait(false);
        await Act("Grant", () => { _active.Add(entitlement.Key); _made[entitlement.Key] = entitlement; Writes.Add($"grant {entitlement.Key}"); }).ConfigureAwait(false);
        return EntitlementChange.Made;
    }

    public async Task<EntitlementChange> RevokeAsync(Entitlement entitlement, Func<CancellationToken, Task>? beforeChange = null, CancellationToken cancellationToken = default)
    {
        if (beforeChange is not null) await beforeChange(cancellationToken).ConfigureAwait(false);
        var made = false;
        await Act("Revoke", () => { made = _active.Remove(entitlement.Key); Writes.Add($"revoke {entitlement.Key}"); }).ConfigureAwait(false);
        return made ? EntitlementChange.Made : EntitlementChange.Found;
    }

    public async Task<IReadOnlyList<string>> ListUsersAsync(AccessTarget target, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<string> users = [];
        await Act("ListUsers", () => users = _made.Values.Where(e => e.Target == target && _active.Contains(e.Key)).Select(e => e.UserId).ToList()).ConfigureAwait(false);
        return users;
    }

    /// <summary>Another hand grants access: it is listed as any other.</summary>
    public void AddForeign(Entitlement entitlement)
    {
        lock (_gate)
        {
            _active.Add(entitlement.Key);
            _made[entitlement.Key] = entitlement;
        }
    }

    /// <summary>Another hand removes access.</summary>
    public void RemoveForeign(Entitlement entitlement)
    {
        lock (_gate) _active.Remove(entitlement.Key);
    }

    public async Task<string?> GetInlinePolicyAsync(string permissionSetArn, CancellationToken cancellationToken = default)
    {
        await Act("GetPolicy", () => { }).ConfigureAwait(false);
        return Policy(permissionSetArn);
    }

    public Task WriteInlinePolicyAsync(string permissionSetArn, string? policy, CancellationToken cancellationToken = default) =>
        Act("WritePolicy", () =>
        {
            if (policy is null) _policies.Remove(permissionSetArn); else _policies[permissionSetArn] = policy;
            if (policy is null) _provisioned.Remove(permissionSetArn); else _provisioned[permissionSetArn] = policy;
            ProvisionCount++;
            Writes.Add($"policy {permissionSetArn}");
        });

    public async Task<bool> ProvisionWhereStaleAsync(string permissionSetArn, CancellationToken cancellationToken = default)
    {
        var stale = false;
        await Act("Provision", () =>
        {
            stale = _policies.GetValueOrDefault(permissionSetArn) != _provisioned.GetValueOrDefault(permissionSetArn);
            if (!stale) return;
            if (_policies.TryGetValue(permissionSetArn, out var policy)) _provisioned[permissionSetArn] = policy; else _provisioned.Remove(permissionSetArn);
            ProvisionCount++;
        }).ConfigureAwait(false);
        return stale;
    }

    public async Task<IReadOnlyList<string>?> ListStaleAccountsAsync(string permissionSetArn, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<string> stale = [];
        await Act("ListStale", () => stale = _policies.GetValueOrDefault(permissionSetArn) == _provisioned.GetValueOrDefault(permissionSetArn) ? []
            : GroupAssignments.Values.SelectMany(a => a).Where(a => a.PermissionSetArn == permissionSetArn).Select(a => a.AccountId).Distinct().ToList()).ConfigureAwait(false);
        return stale;
    }

    public Task<IReadOnlyList<PermissionSetAccount>> GetGroupAssignmentsAsync(string groupId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<PermissionSetAccount>>(GroupAssignments.GetValueOrDefault(groupId) ?? []);

    public Task<TimeSpan> GetSessionDurationAsync(string permissionSetArn, CancellationToken cancellationToken = default) =>
        Task.FromResult(SessionDurations.GetValueOrDefault(permissionSetArn, TimeSpan.FromHours(1)));

    public Task<string> GetPermissionSetNameAsync(string permissionSetArn, CancellationToken cancellationToken = default) =>
        Task.FromResult(PermissionSetsByName.FirstOrDefault(p => p.Value == permissionSetArn).Key ?? throw new InvalidOperationException($"no permission set {permissionSetArn}"));

    public Task<string> ResolvePermissionSetArnAsync(string nameOrArn, CancellationToken cancellationToken = default) =>
        Task.FromResult(nameOrArn.StartsWith("arn:", StringComparison.Ordinal) ? nameOrArn
            : PermissionSetsByName.TryGetValue(nameOrArn, out var arn) ? arn : throw new InvalidOperationException($"no permission set named {nameOrArn}"));

    public Task<string> ResolveGroupIdAsync(string idOrDisplayName, CancellationToken cancellationToken = default) => Task.FromResult(idOrDisplayName);

    public string Describe => "Entra object id → simulated user";

    public Task<IdentityCenterUser?> FindAsync(EntraPrincipal principal, CancellationToken cancellationToken = default) =>
        Task.FromResult(Users.GetValueOrDefault(principal.Id));

    /// <summary>The fence statements (ours) in a permission set's provisioned policy.</summary>
    public IReadOnlyList<JsonObject> FenceStatements(string permissionSetArn)
    {
        var policy = ProvisionedPolicy(permissionSetArn);
        if (policy is null) return [];
        return ((JsonArray)JsonNode.Parse(policy)!["Statement"]!).OfType<JsonObject>()
            .Where(s => s["Sid"]?.GetValue<string>().StartsWith(FencePolicy.SidPrefix, StringComparison.Ordinal) == true).ToList();
    }

    /// <summary>Whether a provisioned fence denies tokens of <paramref name="userId"/> in <paramref name="account"/> issued at <paramref name="issuedAt"/>.</summary>
    public bool Denies(string permissionSetArn, string userId, string account, DateTimeOffset issuedAt) =>
        FenceStatements(permissionSetArn).Any(s =>
        {
            var condition = s["Condition"]!;
            return Values(condition["StringEquals"]!["identitystore:userId"]!).Contains(userId)
                && Values(condition["StringEquals"]!["aws:PrincipalAccount"]!).Contains(account)
                && issuedAt < DateTimeOffset.Parse(condition["DateLessThan"]!["aws:TokenIssueTime"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        });

    private static IReadOnlyList<string> Values(JsonNode node) =>
        node is JsonArray array ? array.Select(v => v!.GetValue<string>()).ToList() : [node.GetValue<string>()];

    private Task Act(string operation, Action effect)
    {
        (string Operation, Func<Exception> Fault, bool AfterEffect)? fault = null;
        lock (_gate)
        {
            if (_faults.TryPeek(out var next) && next.Operation == operation)
                fault = _faults.Dequeue();
        }

        if (fault is { AfterEffect: false } before) throw before.Fault();
        lock (_gate) effect();
        if (fault is { AfterEffect: true } after) throw after.Fault();
        return Task.CompletedTask;
    }
}
