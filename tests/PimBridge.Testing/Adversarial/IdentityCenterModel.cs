using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml;

namespace PimBridge.Testing.Adversarial;

/// <summary>Who made a piece of access exist: PimBridge (through the wire) or another hand (a person, Terraform, SCIM).</summary>
public enum Origin { PimBridge, Foreign }

/// <summary>An AWS API error the model answers with; the wire turns it into AWS's JSON error shape.</summary>
public sealed class ModelError(int status, string code, string message, string? reason = null, string? resourceType = null) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
    public string? Reason { get; } = reason;
    public string? ResourceType { get; } = resourceType;
}

/// <summary>One account assignment's identity.</summary>
public sealed record AssignmentKey(string PermissionSetArn, string AccountId, string PrincipalType, string PrincipalId)
{
    public override string ToString() => $"{PrincipalType} {PrincipalId} → {PermissionSetArn} in {AccountId}";
}

/// <summary>The policy one account's role carries, and the permission-set version it came from.</summary>
public sealed record ProvisionedPolicy(string? Policy, int Version);

/// <summary>
/// IAM Identity Center (sso-admin and Identity Store) as AWS documents it, in memory, on a virtual clock:
/// <list type="bullet">
/// <item>account-assignment creation and deletion are asynchronous: IN_PROGRESS for a drawn time, then SUCCEEDED or
/// FAILED; a creation in progress is not listed, a deletion in progress still is; overlapping operations on one
/// assignment conflict;</item>
/// <item>an inline-policy write changes only the permission set; <c>ProvisionPermissionSet</c> moves it to each
/// account's role, one account after another, each of which can fail, and one provisioning per account at a time;</item>
/// <item>a successful creation provisions the permission set to its account with the policy as it is then;</item>
/// <item>throttling, conflicts, server errors and lost responses on any call (see <see cref="Adversity"/>);</item>
/// <item>when <see cref="Quotas"/> is set, AWS's request quotas (a token bucket per service) and pages of at most 100;</item>
/// <item>other writers (<see cref="ForeignCreateAssignment"/>, …) whose access PimBridge must never take.</item>
/// </list>
/// The oracle reads <see cref="Provisioned"/>, what the roles actually carry, never what PimBridge wrote.
/// </summary>
public sealed class IdentityCenterModel(TimeProvider time, Random random)
{
    public const string InstanceArn = ExampleDeployment.InstanceArn;
    public const string IdentityStoreId = ExampleDeployment.IdentityStoreId;

    /// <summary>Outstanding asynchronous CreateAccountAssignment operations AWS allows ("cannot be raised"); the next answers ServiceQuotaExceededException.</summary>
    public const int MaxOutstandingCreates = 15;

    private readonly Dictionary<AssignmentKey, Origin> _assignments = [];
    private readonly Dictionary<string, Operation> _operations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Membership> _memberships = new(StringComparer.Ordinal);
    private int _ids;

    public Adversity Adversity { get; set; } = Adversity.None;

    /// <summary>Held by the wire while a request acts on the model: AWS serializes each call.</summary>
    public Lock Gate { get; } = new();
    public Dictionary<string, ModelUser> Users { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Groups { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, ModelPermissionSet> PermissionSets { get; } = new(StringComparer.Ordinal);

    /// <summary>Things only a wrong PimBridge does: access another hand made, removed by PimBridge.</summary>
    public List<string> ForeignAccessRemoved { get; } = [];

    /// <summary>Every API call served, by operation (for cost figures and for tests that assert what was called).</summary>
    public Dictionary<string, int> Calls { get; } = new(StringComparer.Ordinal);

    public DateTimeOffset Now => time.GetUtcNow();

    // ------------------------------------------------------------------ world set-up and other writers

    public ModelPermissionSet AddPermissionSet(string arn, string name, TimeSpan sessionDuration, string? policy = null)
    {
        var set = new ModelPermissionSet(arn, name) { SessionDuration = sessionDuration, Policy = policy };
        PermissionSets[arn] = set;
        return set;
    }

    public void AddUser(string id, string userName) => Users[id] = new ModelUser(id, userName);

    /// <summary>Another hand assigns (standing access): only where no assignment exists, as AWS keeps no owner.</summary>
    public void ForeignCreateAssignment(AssignmentKey key)
    {
        Settle();
        if (_assignments.ContainsKey(key) || _operations.Values.Any(o => o.Running && o.Assignment == key)) return;
        _assignments[key] = Origin.Foreign;
        ProvisionOnAssignment(key);
    }

    /// <summary>Another hand adds a user to a group (SCIM or a person), where the user is not a member yet.</summary>
    public void ForeignAddMembership(string groupId, string userId)
    {
        Settle();
        if (_memberships.Values.Any(m => m.GroupId == groupId && m.UserId == userId)) return;
        var id = NewId();
        _memberships[id] = new Membership(id, groupId, userId, Origin.Foreign, Now);
    }

    /// <summary>
    /// An administrator deletes an assignment (whoever made it), at once, as the console does once its operation ends.
    /// The role sessions it issued stay valid: STS does not look back.
    /// </summary>
    public void ForeignDeleteAssignment(AssignmentKey key)
    {
        Settle();
        _assignments.Remove(key);
    }

    /// <summary>A person or SCIM removes a user from a group.</summary>
    public void ForeignRemoveMembership(string groupId, string userId)
    {
        Settle();
        foreach (var membership in _memberships.Values.Where(m => m.GroupId == groupId && m.UserId == userId).ToList())
            _memberships.Remove(membership.MembershipId);
    }

    /// <summary>A person or Terraform replaces the inline policy (not provisioned until someone provisions).</summary>
    public void ForeignPutPolicy(string permissionSetArn, string? policy) => PermissionSets[permissionSetArn].Write(policy);

    /// <summary>A person or Terraform provisions the permission set to every account it is in (succeeds everywhere).</summary>
    public void ForeignProvision(string permissionSetArn)
    {
        var set = PermissionSets[permissionSetArn];
        foreach (var account in set.Provisioned.Keys.ToList())
            set.Provisioned[account] = new ProvisionedPolicy(set.Policy, set.Version);
    }

    /// <summary>
    /// An administrator (or SCIM) deletes a user: gone from the identity store with its group memberships. Its account
    /// assignments go with it, or, in the other reading (AWS does not document which), stay listed for a principal
    /// that no longer exists. Role sessions already issued stay valid until they expire: STS does not look back.
    /// </summary>
    public void ForeignDeleteUser(string userId, bool assignmentsRemain)
    {
        Settle();
        if (!Users.Remove(userId)) return;
        DeletedUsers.Add(userId);
        foreach (var membership in _memberships.Values.Where(m => m.UserId == userId).ToList())
            _memberships.Remove(membership.MembershipId);
        if (!assignmentsRemain)
        {
            foreach (var key in _assignments.Keys.Where(k => k.PrincipalType == "USER" && k.PrincipalId == userId).ToList())
                _assignments.Remove(key);
        }
    }

    /// <summary>
    /// An administrator deletes a permission set, having removed it from every account first, as AWS's guide asks: every
    /// assignment of it goes (PimBridge's and others'), the roles it made in accounts go, and with them every session
    /// they issued; operations on it stop. Later calls naming it answer ResourceNotFoundException.
    /// </summary>
    public void ForeignDeletePermissionSet(string permissionSetArn)
    {
        Settle();
        if (!PermissionSets.Remove(permissionSetArn)) return;
        DeletedPermissionSets.Add(permissionSetArn);
        foreach (var key in _assignments.Keys.Where(k => k.PermissionSetArn == permissionSetArn).ToList())
            _assignments.Remove(key);
        foreach (var operation in _operations.Values.Where(o => o.Running && o.PermissionSet == permissionSetArn))
            operation.Running = false;
    }

    /// <summary>Permission sets another hand deleted.</summary>
    public HashSet<string> DeletedPermissionSets { get; } = new(StringComparer.Ordinal);

    /// <summary>Users another hand deleted.</summary>
    public HashSet<string> DeletedUsers { get; } = new(StringComparer.Ordinal);

    /// <summary>An administrator shortens (or lengthens) a permission set's session duration.</summary>
    public void ForeignSetSessionDuration(string permissionSetArn, TimeSpan duration) => PermissionSets[permissionSetArn].SessionDuration = duration;

    // ------------------------------------------------------------------ what the oracle reads

    /// <summary>Whether the user can reach the permission set's role in the account now: a listed assignment (theirs or a group's they belong to) and a provisioned role.</summary>
    public bool CanAssume(string userId, string permissionSetArn, string accountId)
    {
        Settle();
        if (!Users.ContainsKey(userId) || !PermissionSets.TryGetValue(permissionSetArn, out var set) || !set.Provisioned.ContainsKey(accountId))
            return false;
        if (_assignments.ContainsKey(new AssignmentKey(permissionSetArn, accountId, "USER", userId)))
            return true;
        return _memberships.Values.Any(m => m.UserId == userId && _assignments.ContainsKey(new AssignmentKey(permissionSetArn, accountId, "GROUP", m.GroupId)));
    }

    /// <summary>What the role in the account carries now.</summary>
    public ProvisionedPolicy? Provisioned(string permissionSetArn, string accountId)
    {
        Settle();
        return PermissionSets.TryGetValue(permissionSetArn, out var set) ? set.Provisioned.GetValueOrDefault(accountId) : null;
    }

    /// <summary>Whether a ProvisionPermissionSet of the permission set is IN_PROGRESS now.</summary>
    public bool ProvisioningNow(string permissionSetArn)
    {
        Settle();
        return _operations.Values.Any(o => o.Running && o.Kind == OperationKind.Provision && o.PermissionSet == permissionSetArn);
    }

    public IReadOnlyDictionary<AssignmentKey, Origin> Assignments { get { Settle(); return _assignments; } }

    public IReadOnlyCollection<Membership> Memberships { get { Settle(); return _memberships.Values; } }

    public bool AnyOperationRunning { get { Settle(); return _operations.Values.Any(o => o.Running); } }

    /// <summary>The group's account assignments (for the oracle's reach of a group target).</summary>
    public IReadOnlyList<(string PermissionSetArn, string AccountId)> GroupReach(string groupId) =>
        Assignments.Keys.Where(k => k.PrincipalType == "GROUP" && k.PrincipalId == groupId).Select(k => (k.PermissionSetArn, k.AccountId)).ToList();

    // ------------------------------------------------------------------ the API (called by the wire)

    public void Count(string operation) => Calls[operation] = Calls.GetValueOrDefault(operation) + 1;

    // ------------------------------------------------------------------ quotas (opt-in)

    private readonly RequestBucket _ssoAdminRequests = new();
    private readonly RequestBucket _identityStoreRequests = new();

    /// <summary>AWS's request quotas, enforced on the model's clock; null (the default): none, as in every safety schedule.</summary>
    public AwsQuotas? Quotas { get; set; }

    /// <summary>Calls the quotas refused with ThrottlingException, by operation (also counted in <see cref="Calls"/>).</summary>
    public Dictionary<string, int> Throttled { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The request-rate quota of the call's service: null when the service's token bucket has a request left (it takes
    /// it), ThrottlingException (HTTP 400, the documented shape) when not. A refused call takes no token, as AWS's
    /// buckets do not charge for what they turn away. Always null without <see cref="Quotas"/>.
    /// </summary>
    public ModelError? AdmitRequest(string operation, bool identityStore)
    {
        if (Quotas is not { } quotas) return null;
        var rate = identityStore ? quotas.IdentityStoreRequestsPerSecond : quotas.SsoAdminRequestsPerSecond;
        var bucket = identityStore ? _identityStoreRequests : _ssoAdminRequests;
        if (bucket.TryTake(Now, rate, Math.Max(1, rate * quotas.Burst.TotalSeconds)))
            return null;
        Throttled[operation] = Throttled.GetValueOrDefault(operation) + 1;
        return new ModelError(400, "ThrottlingException", identityStore ? "Rate exceeded" : "There are too many requests processing. Please try again later.");
    }

    /// <summary>A token bucket on the model's clock: full at first, refilled at the rate, never above its size.</summary>
    private sealed class RequestBucket
    {
        private readonly Lock _gate = new();
        private double _tokens = double.NaN;
        private DateTimeOffset _at;

        public bool TryTake(DateTimeOffset now, double rate, double size)
        {
            lock (_gate)
            {
                if (double.IsNaN(_tokens)) _tokens = size;
                else if (now > _at) _tokens = Math.Min(size, _tokens + (now - _at).TotalSeconds * rate);
                if (now > _at) _at = now;
                if (_tokens < 1) return false;
                _tokens -= 1;
                return true;
            }
        }
    }

    /// <summary>
    /// Opt-in: how long a ProvisionPermissionSet of the permission set stays IN_PROGRESS, in place of the drawn
    /// operation time (a slow provisioning of one permission set while the others' run at the usual pace). Empty (the
    /// default): every provisioning takes the drawn time, as before.
    /// </summary>
    public Dictionary<string, TimeSpan> ProvisioningTimeOf { get; } = new(StringComparer.Ordinal);

    /// <summary>Sees every request as it arrives: when, which operation, its body (for tests that time what was called).</summary>
    public Action<DateTimeOffset, string, JsonObject>? OnRequest { get; set; }

    public OperationStatus CreateAccountAssignment(AssignmentKey key)
    {
        Settle();
        RequirePermissionSet(key.PermissionSetArn);
        RequirePrincipal(key);
        if (_operations.Values.Any(o => o.Running && o.Assignment == key))
            throw Conflict("An account assignment operation on this assignment is in progress.");
        if (_assignments.ContainsKey(key))
        {
            if (Adversity.CreateExistingConflicts) throw Conflict("The account assignment already exists.");
            return Start(OperationKind.Create, key, finishAt: Now, succeeds: true).Status(Now);
        }

        if (_operations.Values.Count(o => o.Running && o.Kind == OperationKind.Create) >= MaxOutstandingCreates)
            throw new ModelError(402, "ServiceQuotaExceededException", "Too many outstanding CreateAccountAssignment calls.");
        return Start(OperationKind.Create, key, Now + Draw(), succeeds: !Chance(Adversity.OperationFailures)).Status(Now);
    }

    public OperationStatus DeleteAccountAssignment(AssignmentKey key)
    {
        Settle();
        RequirePermissionSet(key.PermissionSetArn);
        if (_operations.Values.Any(o => o.Running && o.Assignment == key))
            throw Conflict("An account assignment operation on this assignment is in progress.");
        if (!_assignments.ContainsKey(key))
            throw new ModelError(400, "ResourceNotFoundException", "Could not find the account assignment.");
        return Start(OperationKind.Delete, key, Now + Draw(), succeeds: !Chance(Adversity.OperationFailures)).Status(Now);
    }

    public OperationStatus DescribeOperation(string requestId, OperationKind kind)
    {
        Settle();
        if (!_operations.TryGetValue(requestId, out var operation) || operation.Kind != kind)
            throw new ModelError(400, "ResourceNotFoundException", $"No operation {requestId}.");
        return operation.Status(Now);
    }

    public IReadOnlyList<AssignmentKey> ListAccountAssignments(string permissionSetArn, string accountId)
    {
        Settle();
        RequirePermissionSet(permissionSetArn);
        return _assignments.Keys.Where(k => k.PermissionSetArn == permissionSetArn && k.AccountId == accountId).ToList();
    }

    public IReadOnlyList<AssignmentKey> ListAccountAssignmentsForPrincipal(string principalType, string principalId, string? accountId)
    {
        Settle();
        return _assignments.Keys.Where(k => k.PrincipalType == principalType && k.PrincipalId == principalId && (accountId is null || k.AccountId == accountId)).ToList();
    }

    public ModelPermissionSet DescribePermissionSet(string permissionSetArn) { Settle(); return RequirePermissionSet(permissionSetArn); }

    public string? GetInlinePolicy(string permissionSetArn) { Settle(); return RequirePermissionSet(permissionSetArn).Policy; }

    public void PutInlinePolicy(string permissionSetArn, string policy)
    {
        Settle();
        var set = RequirePermissionSet(permissionSetArn);
        if (policy.Length is 0 or > 32_768 || policy.Any(c => c is not ('\t' or '\n' or '\r') && (c < ' ' || c > '\u00ff')))
            throw new ModelError(400, "ValidationException", "1 validation error detected: Value at 'inlinePolicy' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+");
        if (policy.Count(c => !char.IsWhiteSpace(c)) > 10_240)
            throw new ModelError(400, "ValidationException", "The inline policy exceeds 10,240 non-whitespace characters.");
        if (_operations.Values.Any(o => o.Running && o.PermissionSet == permissionSetArn))
            throw Conflict("The permission set is being provisioned.");
        set.Write(policy);
    }

    public void DeleteInlinePolicy(string permissionSetArn)
    {
        Settle();
        var set = RequirePermissionSet(permissionSetArn);
        if (_operations.Values.Any(o => o.Running && o.PermissionSet == permissionSetArn))
            throw Conflict("The permission set is being provisioned.");
        set.Write(null);
    }

    /// <summary>One provisioning per account at a time; the accounts' roles are updated one after another.</summary>
    public OperationStatus ProvisionPermissionSet(string permissionSetArn, string targetType, string? targetId)
    {
        Settle();
        var set = RequirePermissionSet(permissionSetArn);
        List<string> accounts = targetType == "ALL_PROVISIONED_ACCOUNTS" ? set.Provisioned.Keys.Order(StringComparer.Ordinal).ToList()
            : targetId is { } id ? [id]
            : throw new ModelError(400, "ValidationException", "TargetId is required with TargetType AWS_ACCOUNT.");
        if (accounts.Count == 0)
            throw new ModelError(400, "ValidationException", "The permission set is not provisioned to any account.");
        if (_operations.Values.Any(o => o.Running && o.PermissionSet == permissionSetArn && o.Accounts.Intersect(accounts).Any()))
            throw Conflict("A provisioning of this permission set is in progress in one of the accounts.");
        var time = ProvisioningTimeOf.TryGetValue(permissionSetArn, out var fixedTime) ? fixedTime : Draw();
        var operation = new Operation(NewId(), OperationKind.Provision, null, permissionSetArn, Now, Now + time, true)
        {
            Accounts = accounts,
            Snapshot = new ProvisionedPolicy(set.Policy, set.Version),
            Failing = accounts.Where(_ => Chance(Adversity.ProvisioningFailures)).ToHashSet(StringComparer.Ordinal),
        };
        _operations[operation.RequestId] = operation;
        return operation.Status(Now);
    }

    public IReadOnlyList<string> ListAccountsForProvisionedPermissionSet(string permissionSetArn, string? provisioningStatus)
    {
        Settle();
        var set = RequirePermissionSet(permissionSetArn);
        return set.Provisioned.Where(p => provisioningStatus switch
        {
            "LATEST_PERMISSION_SET_PROVISIONED" => p.Value.Version == set.Version,
            "LATEST_PERMISSION_SET_NOT_PROVISIONED" => p.Value.Version != set.Version,
            _ => true,
        }).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
    }

    // ---- identity store ----

    public ModelUser GetUserByName(string userName)
    {
        Settle();
        return Users.Values.FirstOrDefault(u => string.Equals(u.UserName, userName, StringComparison.OrdinalIgnoreCase))
            ?? throw NotFound("USER", "USER not found.");
    }

    public ModelUser DescribeUser(string userId) { Settle(); return Users.GetValueOrDefault(userId) ?? throw NotFound("USER", "USER not found."); }

    public string GetGroupByName(string displayName)
    {
        Settle();
        return Groups.FirstOrDefault(g => g.Value == displayName).Key ?? throw NotFound("GROUP", "GROUP not found.");
    }

    /// <summary>A membership made within <see cref="Adversity.MembershipListLag"/> may not be listed yet (eventual consistency).</summary>
    public IReadOnlyList<Membership> ListGroupMembershipsForMember(string userId)
    {
        Settle();
        if (!Users.ContainsKey(userId)) throw NotFound("USER", "USER not found.");
        return _memberships.Values.Where(m => m.UserId == userId && Now - m.CreatedAt >= Adversity.MembershipListLag).ToList();
    }

    public IReadOnlyList<Membership> ListGroupMemberships(string groupId)
    {
        Settle();
        if (!Groups.ContainsKey(groupId)) throw NotFound("GROUP", "GROUP not found.");
        return _memberships.Values.Where(m => m.GroupId == groupId && Now - m.CreatedAt >= Adversity.MembershipListLag).ToList();
    }

    public string CreateGroupMembership(string groupId, string userId)
    {
        Settle();
        if (!Users.ContainsKey(userId)) throw NotFound("USER", "USER not found.");
        if (!Groups.ContainsKey(groupId)) throw NotFound("GROUP", "GROUP not found.");
        if (_memberships.Values.Any(m => m.GroupId == groupId && m.UserId == userId))
            throw new ModelError(409, "ConflictException", "Membership already exists.", reason: "UNIQUENESS_CONSTRAINT_VIOLATION");
        var id = NewId();
        _memberships[id] = new Membership(id, groupId, userId, Origin.PimBridge, Now);
        return id;
    }

    public void DeleteGroupMembership(string membershipId)
    {
        Settle();
        if (!_memberships.Remove(membershipId, out var removed))
            throw NotFound("GROUP_MEMBERSHIP", "GROUP_MEMBERSHIP not found.");
        if (removed.Origin == Origin.Foreign)
            ForeignAccessRemoved.Add($"membership of {removed.UserId} in {removed.GroupId} at {Now:O}");
    }

    // ------------------------------------------------------------------ faults

    /// <summary>A fault before any effect, drawn for this call, or null.</summary>
    public ModelError? DrawFaultBefore(bool identityStore)
    {
        var draw = random.NextDouble();
        if ((draw -= Adversity.Throttling) < 0)
            return new ModelError(400, "ThrottlingException", identityStore ? "Rate exceeded" : "There are too many requests processing. Please try again later.");
        if ((draw -= Adversity.Conflicts) < 0)
            return identityStore
                ? new ModelError(409, "ConflictException", "Concurrent modification.", reason: "CONCURRENT_MODIFICATION")
                : Conflict("A conflicting request is in progress.");
        if ((draw -= Adversity.InternalErrors) < 0)
            return new ModelError(500, "InternalServerException", "Internal failure.");
        return null;
    }

    private readonly List<(string Operation, ModelError Error)> _scripted = [];

    /// <summary>The next <paramref name="times"/> calls of <paramref name="operation"/> fail with <paramref name="error"/>, before any effect.</summary>
    public void FailNext(string operation, int times, ModelError error)
    {
        for (var i = 0; i < times; i++) _scripted.Add((operation, error));
    }

    /// <summary>Drops the scripted faults still queued for <paramref name="operation"/>.</summary>
    public void TakeScriptedFaults(string operation) => _scripted.RemoveAll(f => f.Operation == operation);

    /// <summary>A scripted fault for this call, if one is queued for its operation.</summary>
    public ModelError? TakeScriptedFault(string operation)
    {
        var index = _scripted.FindIndex(f => f.Operation == operation);
        if (index < 0) return null;
        var fault = _scripted[index].Error;
        _scripted.RemoveAt(index);
        return fault;
    }

    private readonly List<string> _lose = [];

    /// <summary>The next call of <paramref name="operation"/> takes effect but its response is lost.</summary>
    public void LoseNextResponse(string operation) => _lose.Add(operation);

    /// <summary>Whether this call's response, after its effect, is lost (scripted, or drawn when <paramref name="draw"/>).</summary>
    public bool DrawLostResponse(string operation, bool draw) => _lose.Remove(operation) || (draw && Chance(Adversity.LostResponses));

    // ------------------------------------------------------------------ the clock

    /// <summary>Finishes every operation whose time has come, in time order, with each account's role updated in turn.</summary>
    public void Settle()
    {
        var now = Now;
        foreach (var operation in _operations.Values.Where(o => o.Running).OrderBy(o => o.StartedAt).ToList())
        {
            if (operation.Kind == OperationKind.Provision)
            {
                ProvisionAccountsUpTo(operation, now);
                continue;
            }

            if (operation.FinishAt > now) continue;
            operation.Running = false;
            if (!operation.Succeeds) continue;
            var key = operation.Assignment!;
            if (operation.Kind == OperationKind.Create)
            {
                _assignments.TryAdd(key, Origin.PimBridge);
                ProvisionOnAssignment(key);
            }
            else if (_assignments.Remove(key, out var origin) && origin == Origin.Foreign)
            {
                ForeignAccessRemoved.Add($"assignment {key} at {now:O}");
            }
        }
    }

    private void ProvisionAccountsUpTo(Operation operation, DateTimeOffset now)
    {
        var set = PermissionSets[operation.PermissionSet!];
        var step = (operation.FinishAt - operation.StartedAt) / operation.Accounts.Count;
        for (var i = operation.AccountsDone; i < operation.Accounts.Count; i++)
        {
            if (operation.StartedAt + step * (i + 1) > now) return;
            var account = operation.Accounts[i];
            operation.AccountsDone = i + 1;
            if (operation.Failing.Contains(account) || !set.Provisioned.ContainsKey(account)) continue;
            set.Provisioned[account] = Adversity.ProvisionSnapshotsAtRequest ? operation.Snapshot! : new ProvisionedPolicy(set.Policy, set.Version);
        }

        operation.Running = false;
    }

    /// <summary>A new assignment's account gets the permission set's role with the policy as it is now (AWS provisions on creation).</summary>
    private void ProvisionOnAssignment(AssignmentKey key)
    {
        var set = PermissionSets[key.PermissionSetArn];
        if (!set.Provisioned.ContainsKey(key.AccountId))
            set.Provisioned[key.AccountId] = new ProvisionedPolicy(set.Policy, set.Version);
    }

    private Operation Start(OperationKind kind, AssignmentKey key, DateTimeOffset finishAt, bool succeeds)
    {
        var operation = new Operation(NewId(), kind, key, key.PermissionSetArn, Now, finishAt, succeeds) { Accounts = [key.AccountId] };
        _operations[operation.RequestId] = operation;
        Settle();
        return operation;
    }

    private TimeSpan Draw() =>
        Adversity.MinOperationTime + (Adversity.MaxOperationTime - Adversity.MinOperationTime) * random.NextDouble();

    private bool Chance(double p) => p > 0 && random.NextDouble() < p;

    private string NewId() => $"00000000-0000-4000-8000-{++_ids:D12}";

    private ModelPermissionSet RequirePermissionSet(string arn) =>
        PermissionSets.GetValueOrDefault(arn) ?? throw new ModelError(400, "ResourceNotFoundException", $"Could not find PermissionSet with id {arn}");

    private void RequirePrincipal(AssignmentKey key)
    {
        if (key.PrincipalType == "USER" ? !Users.ContainsKey(key.PrincipalId) : !Groups.ContainsKey(key.PrincipalId))
            throw new ModelError(400, "ResourceNotFoundException", $"Could not find the principal {key.PrincipalId}.");
    }

    private static ModelError Conflict(string message) => new(400, "ConflictException", message);

    private static ModelError NotFound(string type, string message) => new(400, "ResourceNotFoundException", message, resourceType: type);

    // ------------------------------------------------------------------ records

    public enum OperationKind { Create, Delete, Provision }

    public sealed record OperationStatus(string RequestId, string Status, string? FailureReason, AssignmentKey? Assignment, string? PermissionSetArn, DateTimeOffset CreatedAt);

    private sealed class Operation(string requestId, OperationKind kind, AssignmentKey? assignment, string? permissionSet, DateTimeOffset startedAt, DateTimeOffset finishAt, bool succeeds)
    {
        public string RequestId { get; } = requestId;
        public OperationKind Kind { get; } = kind;
        public AssignmentKey? Assignment { get; } = assignment;
        public string? PermissionSet { get; } = permissionSet;
        public DateTimeOffset StartedAt { get; } = startedAt;
        public DateTimeOffset FinishAt { get; } = finishAt;
        public bool Succeeds { get; } = succeeds;
        public bool Running { get; set; } = true;
        public List<string> Accounts { get; init; } = [];
        public HashSet<string> Failing { get; init; } = [];
        public ProvisionedPolicy? Snapshot { get; init; }
        public int AccountsDone { get; set; }

        public OperationStatus Status(DateTimeOffset now)
        {
            var failed = Kind == OperationKind.Provision ? Failing.Count > 0 : !Succeeds;
            var status = Running ? "IN_PROGRESS" : failed ? "FAILED" : "SUCCEEDED";
            var reason = status != "FAILED" ? null
                : Kind == OperationKind.Provision ? $"Provisioning failed in account(s) {string.Join(", ", Failing.Order(StringComparer.Ordinal))}."
                : "The operation failed: an internal error occurred.";
            return new OperationStatus(RequestId, status, reason, Assignment, PermissionSet, StartedAt);
        }
    }
}

public sealed record ModelUser(string Id, string UserName);

public sealed record Membership(string MembershipId, string GroupId, string UserId, Origin Origin, DateTimeOffset CreatedAt);

/// <summary>A permission set: its current inline policy (with a version that each write bumps) and what each account's role carries.</summary>
public sealed class ModelPermissionSet(string arn, string name)
{
    public string Arn { get; } = arn;
    public string Name { get; } = name;
    public TimeSpan SessionDuration { get; set; } = TimeSpan.FromHours(1);
    public string? Policy { get; set; }
    public int Version { get; private set; } = 1;
    public Dictionary<string, ProvisionedPolicy> Provisioned { get; } = new(StringComparer.Ordinal);

    public string SessionDurationIso => XmlConvert.ToString(SessionDuration);

    public void Write(string? policy)
    {
        Policy = policy;
        Version++;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} v{Version}");
}
