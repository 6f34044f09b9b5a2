using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Store.Tests;

/// <summary>
/// The <see cref="IStateStore"/> contract, pinned once for every implementation. A store's test class derives from
/// this and supplies <see cref="CreateStoreAsync"/>; every fact below then runs against that store.
/// </summary>
/// <remarks>
/// Every <see cref="DateTimeOffset"/> here has whole milliseconds, so stores that keep millisecond precision pass.
/// Stores returned by <see cref="CreateStoreAsync"/> are disposed after each test when they are (async) disposable;
/// derived classes that need more clean-up override <see cref="DisposeAsync"/> and call the base.
/// No transaction here exceeds 50 items (DynamoDB allows 100 per transaction).
/// </remarks>
public abstract class StateStoreConformance : IAsyncLifetime
{
    private readonly List<IStateStore> _stores = [];

    /// <summary>A fresh, empty store. Called once or more per test.</summary>
    protected abstract Task<IStateStore> CreateStoreAsync();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            switch (store)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }

        _stores.Clear();
    }

    protected static readonly DateTimeOffset T0 = new(2026, 7, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>T0 plus whole minutes: the common currency of timestamps in these tests.</summary>
    protected static DateTimeOffset At(int minutes) => T0.AddMinutes(minutes);

    private async Task<IStateStore> NewStoreAsync()
    {
        var store = await CreateStoreAsync();
        _stores.Add(store);
        return store;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Record builders
    // ----------------------------------------------------------------------------------------------------------------

    protected static Grant NewGrant(
        string id,
        string groupId = "group-1",
        string userId = "ic-user-1",
        string userName = "alice@example.com",
        DateTimeOffset? end = null,
        GrantState state = GrantState.Active,
        long version = 0) => new()
        {
            Id = id,
            Mapping = "admins",
            Principal = new EntraPrincipal($"entra-{userId}", $"{userName}", $"mail-{userName}"),
            GroupId = groupId,
            Access = PimAccess.Member,
            User = new IdentityCenterUser(userId, userName),
            ActivationId = $"activation-{id}",
            Start = At(-60),
            End = end,
            EntitlementKeys = [$"gm|{userId}|{groupId}"],
            State = state,
            EndedAt = state == GrantState.Ended ? At(-1) : null,
            EndReason = state == GrantState.Ended ? EndReasons.Deactivated : null,
            Version = version,
        };

    protected static LedgerEntry NewLedgerEntry(Entitlement entitlement, long version = 0, params string[] holders) => new()
    {
        Entitlement = entitlement,
        Holders = holders.Length == 0 ? ["grant-1"] : holders,
        Status = EntitlementStatus.Applying,
        Version = version,
    };

    protected static Intent NewIntent(
        string id,
        DateTimeOffset nextAttemptAt,
        IntentKind kind = IntentKind.ApplyEntitlement,
        string subject = "gm|ic-user-1|group-1",
        IntentState state = IntentState.Pending,
        long version = 0) => new()
        {
            Id = id,
            Kind = kind,
            Subject = subject,
            State = state,
            CreatedAt = At(-30),
            NextAttemptAt = nextAttemptAt,
            CompletedAt = state == IntentState.Pending ? null : At(-5),
            Version = version,
        };

    protected static SessionFence NewFence(
        string id,
        DateTimeOffset until,
        FenceState state = FenceState.Active,
        string permissionSetArn = "arn:aws:sso:::permissionSet/ssoins-1/ps-1",
        long version = 0) => new()
        {
            Id = id,
            UserId = "ic-user-1",
            UserName = "alice@example.com",
            PermissionSetArn = permissionSetArn,
            Accounts = ["111111111111", "222222222222"],
            Cutoff = At(-10),
            Until = until,
            State = state,
            CreatedAt = At(-10),
            ActiveSince = state is FenceState.Active or FenceState.Lifting or FenceState.Lifted ? At(-9) : null,
            LiftedAt = state == FenceState.Lifted ? At(-1) : null,
            Version = version,
        };

    protected static Alert NewAlert(string id, DateTimeOffset at, string message = "something happened") => new()
    {
        Id = id,
        At = at,
        Severity = AlertSeverity.Warning,
        Kind = "fence-capacity-exhausted",
        Subject = "arn:aws:sso:::permissionSet/ssoins-1/ps-1",
        Message = message,
        Facts = new Dictionary<string, string> { ["accounts"] = "2", ["statements"] = "10" },
    };

    protected static Checkpoint NewCheckpoint(string name, string value = "trail/2026/07/01/file-0001.json.gz", DateTimeOffset? updatedAt = null, long version = 0) => new()
    {
        Name = name,
        Value = value,
        UpdatedAt = updatedAt ?? At(0),
        Version = version,
    };

    protected static AuditRecord NewAudit(int n, DateTimeOffset? at = null) =>
        new(at ?? At(n), "grant.activated", $"grant-{n}", $$"""{"n":{{n}},"note":"ünïcödé\nline"}""");

    protected static StateChange Change(
        IEnumerable<Grant>? grants = null,
        IEnumerable<LedgerEntry>? ledger = null,
        IEnumerable<Intent>? intents = null,
        IEnumerable<SessionFence>? fences = null,
        IEnumerable<Alert>? alerts = null,
        IEnumerable<AuditRecord>? audit = null,
        IEnumerable<Checkpoint>? checkpoints = null)
    {
        var change = new StateChange();
        change.Grants.AddRange(grants ?? []);
        change.Ledger.AddRange(ledger ?? []);
        change.Intents.AddRange(intents ?? []);
        change.Fences.AddRange(fences ?? []);
        change.Alerts.AddRange(alerts ?? []);
        change.Audit.AddRange(audit ?? []);
        change.Checkpoints.AddRange(checkpoints ?? []);
        return change;
    }

    private static Task CommitAsync(IStateStore store, params Grant[] grants) => store.CommitAsync(Change(grants: grants));

    private static Task CommitAsync(IStateStore store, params Intent[] intents) => store.CommitAsync(Change(intents: intents));

    private static Task CommitAsync(IStateStore store, params SessionFence[] fences) => store.CommitAsync(Change(fences: fences));

    // Equality through the one stored JSON form: every field, including nested records, lists and offsets.
    private static void AssertSame(Grant expected, Grant? actual) => Assert.Equal(StateJson.Serialize(expected), StateJson.Serialize(Assert.IsType<Grant>(actual)));
    private static void AssertSame(LedgerEntry expected, LedgerEntry? actual) => Assert.Equal(StateJson.Serialize(expected), StateJson.Serialize(Assert.IsType<LedgerEntry>(actual)));
    private static void AssertSame(Intent expected, Intent? actual) => Assert.Equal(StateJson.Serialize(expected), StateJson.Serialize(Assert.IsType<Intent>(actual)));
    private static void AssertSame(SessionFence expected, SessionFence? actual) => Assert.Equal(StateJson.Serialize(expected), StateJson.Serialize(Assert.IsType<SessionFence>(actual)));
    private static void AssertSame(Alert expected, Alert? actual) => Assert.Equal(StateJson.Serialize(expected), StateJson.Serialize(Assert.IsType<Alert>(actual)));

    // Record equality compares DateTimeOffset as instants; the offset is checked on its own.
    private static void AssertSame(Checkpoint expected, Checkpoint? actual)
    {
        Assert.Equal(expected, Assert.IsType<Checkpoint>(actual));
        Assert.Equal(expected.UpdatedAt.Offset, actual.UpdatedAt.Offset);
    }

    private static async Task<List<AuditEntry>> ReadAllAuditAsync(IStateStore store, long fromSeq = 1)
    {
        var entries = new List<AuditEntry>();
        await foreach (var entry in store.ReadAuditAsync(fromSeq)) entries.Add(entry);
        return entries;
    }

    private static string[] Ids(IEnumerable<Grant> grants) => grants.Select(g => g.Id).ToArray();
    private static string[] Ids(IEnumerable<Intent> intents) => intents.Select(i => i.Id).ToArray();
    private static string[] Ids(IEnumerable<SessionFence> fences) => fences.Select(f => f.Id).ToArray();
    private static string[] SortedIds(IEnumerable<Grant> grants) => grants.Select(g => g.Id).Order(StringComparer.Ordinal).ToArray();
    private static string[] SortedIds(IEnumerable<ActiveGrant> grants) => grants.Select(g => g.Id).Order(StringComparer.Ordinal).ToArray();
    private static string[] SortedIds(IEnumerable<Intent> intents) => intents.Select(i => i.Id).Order(StringComparer.Ordinal).ToArray();
    private static string[] SortedIds(IEnumerable<SessionFence> fences) => fences.Select(f => f.Id).Order(StringComparer.Ordinal).ToArray();

    // ----------------------------------------------------------------------------------------------------------------
    // Round trips
    // ----------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Missing_records_read_as_null_and_empty()
    {
        var store = await NewStoreAsync();

        Assert.Null(await store.GetGrantAsync("nope"));
        Assert.Null(await store.GetLedgerEntryAsync("gm|nope|nope"));
        Assert.Null(await store.GetIntentAsync("nope"));
        Assert.Null(await store.GetFenceAsync("nope"));
        Assert.Null(await store.GetCheckpointAsync("nope"));
        Assert.Null(await store.GetAuditHeadAsync());
        Assert.Empty(await ReadAllAuditAsync(store));
        Assert.Empty(await store.ListGrantsAsync(activeOnly: false, user: null));
        Assert.Empty(await store.ListFencesAsync(openOnly: false));
        Assert.Empty(await store.ListAlertsAsync(since: null));
        Assert.Empty(await store.GetDueGrantsAsync(At(1000), 10));
        Assert.Empty(await store.GetDueIntentsAsync(At(1000), 10));
        Assert.Empty(await store.GetDueFencesAsync(At(1000), 10));
    }

    [Fact]
    public async Task Empty_change_is_a_no_op()
    {
        var store = await NewStoreAsync();

        await store.CommitAsync(new StateChange());

        Assert.Null(await store.GetAuditHeadAsync());
        Assert.Empty(await store.ListGrantsAsync(activeOnly: false, user: null));
    }

    [Fact]
    public async Task Grant_round_trips_every_field_and_is_saved_at_the_next_version()
    {
        var store = await NewStoreAsync();
        var active = NewGrant("grant-a", end: new DateTimeOffset(2026, 7, 1, 10, 30, 15, 123, TimeSpan.FromHours(2))) with
        {
            Principal = new EntraPrincipal("entra-1", "alice@contoso.onmicrosoft.com", "alice@contoso.com"),
            Access = PimAccess.Owner,
            Start = new DateTimeOffset(2026, 7, 1, 8, 0, 0, 7, TimeSpan.FromHours(2)),
            EntitlementKeys = ["gm|ic-user-1|group-1", "aa|ic-user-1|arn:aws:sso:::permissionSet/ssoins-1/ps-1|111111111111"],
        };
        var ended = NewGrant("grant-b", end: null, state: GrantState.Ended) with
        {
            Principal = new EntraPrincipal("entra-2"),
            EntitlementKeys = [],
        };

        await CommitAsync(store, active, ended);

        AssertSame(active with { Version = 1 }, await store.GetGrantAsync("grant-a"));
        AssertSame(ended with { Version = 1 }, await store.GetGrantAsync("grant-b"));
    }

    [Fact]
    public async Task Grant_update_replaces_content_and_increments_version()
    {
        var store = await NewStoreAsync();
        await CommitAsync(store, NewGrant("grant-a", end: At(10)));

        var v1 = Assert.IsType<Grant>(await store.GetGrantAsync("grant-a"));
        Assert.Equal(1, v1.Version);
        var updated = v1 with { End = At(20), EntitlementKeys = ["x", "y"], ActivationId = "activation-2" };
        await CommitAsync(store, updated);

        AssertSame(updated with { Version = 2 }, await store.GetGrantAsync("grant-a"));

        var ended = updated with { Version = 2, State = GrantState.Ended, EndedAt = At(15), EndReason = EndReasons.Revoked };
        await CommitAsync(store, ended);

        AssertSame(ended with { Version = 3 }, await store.GetGrantAsync("grant-a"));
    }

    [Fact]
    public async Task Ledger_entries_round_trip_every_field()
    {
        var store = await NewStoreAsync();
        var membership = new LedgerEntry
        {
            Entitlement = Entitlement.GroupMembership("ic-user-1", "ic-group-1"),
            Holders = ["grant-1", "grant-2"],
            Status = EntitlementStatus.Applied,
            FenceOnRemoval = true,
            AppliedAt = new DateTimeOffset(2026, 7, 1, 3, 4, 5, 678, TimeSpan.FromHours(-5)),
        };
        var assignment = new LedgerEntry
        {
            Entitlement = Entitlement.AccountAssignment("ic-user-1", "arn:aws:sso:::permissionSet/ssoins-1/ps-1", "111111111111"),
            Holders = [],
            Status = EntitlementStatus.Removed,
            AppliedAt = At(1),
            RemovedAt = At(2),
        };

        await store.CommitAsync(Change(ledger: [membership, assignment]));

        AssertSame(membership with { Version = 1 }, await store.GetLedgerEntryAsync(membership.Key));
        AssertSame(assignment with { Version = 1 }, await store.GetLedgerEntryAsync(assignment.Key));

        var removing = membership with { Version = 1, Holders = [], Status = EntitlementStatus.Removing };
        await store.CommitAsync(Change(ledger: [removing]));
        AssertSame(removing with { Version = 2 }, await store.GetLedgerEntryAsync(membership.Key));
    }

    [Fact]
    public async Task Intents_round_trip_every_field()
    {
        var store = await NewStoreAsync();
        var pending = NewIntent("intent-1", At(5)) with { Attempts = 3, LastError = "ThrottlingException: slow down" };
        var done = NewIntent("intent-2", At(6), IntentKind.SyncFences, "arn:aws:sso:::permissionSet/ssoins-1/ps-1", IntentState.Done);

        await CommitAsync(store, pending, done);

        AssertSame(pending with { Version = 1 }, await store.GetIntentAsync("intent-1"));
        AssertSame(done with { Version = 1 }, await store.GetIntentAsync("intent-2"));

        var completed = pending with { Version = 1, State = IntentState.Superseded, CompletedAt = At(7), LastError = null };
        await CommitAsync(store, completed);
        AssertSame(completed with { Version = 2 }, await store.GetIntentAsync("intent-1"));
    }

    [Fact]
    public async Task Fences_round_trip_every_field()
    {
        var store = await NewStoreAsync();
        var pending = NewFence("fence-1", At(60), FenceState.Pending);
        var lifted = NewFence("fence-2", new DateTimeOffset(2026, 7, 1, 1, 0, 0, 999, TimeSpan.FromHours(9)), FenceState.Lifted) with
        {
            Accounts = ["333333333333"],
        };

        await CommitAsync(store, pending, lifted);

        AssertSame(pending with { Version = 1 }, await store.GetFenceAsync("fence-1"));
        AssertSame(lifted with { Version = 1 }, await store.GetFenceAsync("fence-2"));

        var active = pending with { Version = 1, State = FenceState.Active, ActiveSince = At(1) };
        await CommitAsync(store, active);
        AssertSame(active with { Version = 2 }, await store.GetFenceAsync("fence-1"));
    }

    [Fact]
    public async Task Alerts_round_trip_every_field()
    {
        var store = await NewStoreAsync();
        var withFacts = NewAlert("alert-1", new DateTimeOffset(2026, 7, 1, 0, 0, 1, 250, TimeSpan.FromHours(1)));
        var bare = NewAlert("alert-2", At(2)) with { Severity = AlertSeverity.Critical, Facts = null, Message = "ünïcödé \"quoted\"\nline" };

        await store.CommitAsync(Change(alerts: [withFacts, bare]));

        var alerts = await store.ListAlertsAsync(since: null);
        Assert.Equal(2, alerts.Count);
        AssertSame(withFacts, alerts[0]);
        AssertSame(bare, alerts[1]);
    }

    [Fact]
    public async Task One_change_writes_every_record_type_together()
    {
        var store = await NewStoreAsync();
        var grant = NewGrant("grant-1", end: At(30));
        var entry = NewLedgerEntry(Entitlement.GroupMembership("ic-user-1", "group-1"));
        var intent = NewIntent("intent-1", At(0));
        var fence = NewFence("fence-1", At(40));
        var alert = NewAlert("alert-1", At(0));

        var checkpoint = NewCheckpoint("trail:o-1");

        await store.CommitAsync(Change([grant], [entry], [intent], [fence], [alert], [NewAudit(1), NewAudit(2)], [checkpoint]));

        AssertSame(grant with { Version = 1 }, await store.GetGrantAsync(grant.Id));
        AssertSame(entry with { Version = 1 }, await store.GetLedgerEntryAsync(entry.Key));
        AssertSame(intent with { Version = 1 }, await store.GetIntentAsync(intent.Id));
        AssertSame(fence with { Version = 1 }, await store.GetFenceAsync(fence.Id));
        AssertSame(alert, Assert.Single(await store.ListAlertsAsync(since: null)));
        Assert.Equal(2, (await ReadAllAuditAsync(store)).Count);
        AssertSame(checkpoint with { Version = 1 }, await store.GetCheckpointAsync(checkpoint.Name));
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Optimistic concurrency and atomicity
    // ----------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Inserting_an_existing_grant_conflicts()
    {
        var store = await NewStoreAsync();
        var original = NewGrant("grant-1", end: At(10));
        await CommitAsync(store, original);

        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => CommitAsync(store, NewGrant("grant-1", end: At(99))));

        Assert.Equal("grant-1", conflict.Key);
        Assert.False(string.IsNullOrEmpty(conflict.RecordType));
        AssertSame(original with { Version = 1 }, await store.GetGrantAsync("grant-1"));
    }

    [Fact]
    public async Task Inserting_an_existing_ledger_entry_conflicts()
    {
        var store = await NewStoreAsync();
        var original = NewLedgerEntry(Entitlement.AccountAssignment("u", "arn:ps", "111111111111"));
        await store.CommitAsync(Change(ledger: [original]));

        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(
            () => store.CommitAsync(Change(ledger: [original with { Holders = ["other"] }])));

        Assert.Equal(original.Key, conflict.Key);
        AssertSame(original with { Version = 1 }, await store.GetLedgerEntryAsync(original.Key));
    }

    [Fact]
    public async Task Inserting_an_existing_intent_conflicts()
    {
        var store = await NewStoreAsync();
        var original = NewIntent("intent-1", At(1));
        await CommitAsync(store, original);

        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => CommitAsync(store, NewIntent("intent-1", At(2))));

        Assert.Equal("intent-1", conflict.Key);
        AssertSame(original with { Version = 1 }, await store.GetIntentAsync("intent-1"));
    }

    [Fact]
    public async Task Inserting_an_existing_fence_conflicts()
    {
        var store = await NewStoreAsync();
        var original = NewFence("fence-1", At(1));
        await CommitAsync(store, original);

        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => CommitAsync(store, NewFence("fence-1", At(2))));

        Assert.Equal("fence-1", conflict.Key);
        AssertSame(original with { Version = 1 }, await store.GetFenceAsync("fence-1"));
    }

    [Fact]
    public async Task Updating_with_a_stale_version_conflicts_for_every_record_type()
    {
        var store = await NewStoreAsync();
        var entry = NewLedgerEntry(Entitlement.GroupMembership("u", "g"));
        await store.CommitAsync(Change(
            [NewGrant("grant-1", end: At(10))], [entry], [NewIntent("intent-1", At(1))], [NewFence("fence-1", At(1))]));
        // Move every record to version 2, so that version 1 is stale.
        await store.CommitAsync(Change(
            [(await store.GetGrantAsync("grant-1"))!],
            [(await store.GetLedgerEntryAsync(entry.Key))!],
            [(await store.GetIntentAsync("intent-1"))!],
            [(await store.GetFenceAsync("fence-1"))!]));

        var grant = await Assert.ThrowsAsync<ConcurrencyConflictException>(
            () => CommitAsync(store, NewGrant("grant-1", end: At(50), version: 1)));
        var ledger = await Assert.ThrowsAsync<ConcurrencyConflictException>(
            () => store.CommitAsync(Change(ledger: [entry with { Version = 1, Holders = [] }])));
        var intent = await Assert.ThrowsAsync<ConcurrencyConflictException>(
            () => CommitAsync(store, NewIntent("intent-1", At(50), version: 1)));
        var fence = await Assert.ThrowsAsync<ConcurrencyConflictException>(
            () => CommitAsync(store, NewFence("fence-1", At(50), version: 1)));

        Assert.Equal("grant-1", grant.Key);
        Assert.Equal(entry.Key, ledger.Key);
        Assert.Equal("intent-1", intent.Key);
        Assert.Equal("fence-1", fence.Key);
        Assert.Equal(2, (await store.GetGrantAsync("grant-1"))!.Version);
        Assert.Equal(At(10), (await store.GetGrantAsync("grant-1"))!.End);
        Assert.Equal(2, (await store.GetLedgerEntryAsync(entry.Key))!.Version);
        Assert.Equal(At(1), (await store.GetIntentAsync("intent-1"))!.NextAttemptAt);
        Assert.Equal(At(1), (await store.GetFenceAsync("fence-1"))!.Until);
    }

    [Fact]
    public async Task Updating_with_a_version_ahead_of_the_stored_one_conflicts()
    {
        var store = await NewStoreAsync();
        await CommitAsync(store, NewGrant("grant-1", end: At(10)));

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => CommitAsync(store, NewGrant("grant-1", end: At(10), version: 5)));

        Assert.Equal(1, (await store.GetGrantAsync("grant-1"))!.Version);
    }

    [Fact]
    public async Task Updating_a_record_that_does_not_exist_conflicts()
    {
        var store = await NewStoreAsync();

        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => CommitAsync(store, NewIntent("ghost", At(1), version: 3)));

        Assert.Equal("ghost", conflict.Key);
        Assert.Null(await store.GetIntentAsync("ghost"));
    }

    [Fact]
    public async Task A_conflicting_change_writes_nothing_when_the_conflict_comes_last()
    {
        var store = await NewStoreAsync();
        await SeedForAtomicityAsync(store);
        var headBefore = await store.GetAuditHeadAsync();

        var change = AtomicityChange(await store.GetGrantAsync("existing-grant"));
        change.Fences.Add(NewFence("existing-fence", At(500), version: 7)); // stale: stored at version 1

        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.CommitAsync(change));

        Assert.Equal("existing-fence", conflict.Key);
        await AssertNothingOfAtomicityChangeWrittenAsync(store, headBefore);
    }

    [Fact]
    public async Task A_conflicting_change_writes_nothing_when_the_conflict_comes_first()
    {
        var store = await NewStoreAsync();
        await SeedForAtomicityAsync(store);
        var headBefore = await store.GetAuditHeadAsync();

        var change = AtomicityChange(await store.GetGrantAsync("existing-grant"));
        change.Grants.Insert(0, NewGrant("existing-grant-2", end: At(1))); // insert of an existing record

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.CommitAsync(change));

        await AssertNothingOfAtomicityChangeWrittenAsync(store, headBefore);
    }

    [Fact]
    public async Task A_conflicting_change_writes_nothing_when_its_only_other_parts_are_alerts_and_audit()
    {
        var store = await NewStoreAsync();
        await SeedForAtomicityAsync(store);
        var headBefore = await store.GetAuditHeadAsync();

        var change = Change(
            intents: [NewIntent("ghost-intent", At(1), version: 1)],
            alerts: [NewAlert("new-alert", At(3))],
            audit: [NewAudit(100)]);

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.CommitAsync(change));

        Assert.DoesNotContain(await store.ListAlertsAsync(since: null), a => a.Id == "new-alert");
        Assert.Equal(headBefore, await store.GetAuditHeadAsync());
        Assert.Single(await ReadAllAuditAsync(store));
    }

    [Fact]
    public async Task A_store_keeps_working_after_a_conflict()
    {
        var store = await NewStoreAsync();
        await CommitAsync(store, NewGrant("grant-1", end: At(10)));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(
            () => store.CommitAsync(Change([NewGrant("grant-1", end: At(10))], audit: [NewAudit(1)])));

        await store.CommitAsync(Change([NewGrant("grant-2", end: At(10))], audit: [NewAudit(2)]));

        Assert.NotNull(await store.GetGrantAsync("grant-2"));
        var entry = Assert.Single(await ReadAllAuditAsync(store));
        Assert.Equal(1, entry.Seq);
        Assert.Equal("grant-2", entry.Subject);
    }

    private static async Task SeedForAtomicityAsync(IStateStore store) =>
        await store.CommitAsync(Change(
            grants: [NewGrant("existing-grant", end: At(10)), NewGrant("existing-grant-2", end: At(11))],
            fences: [NewFence("existing-fence", At(20))],
            audit: [NewAudit(0)]));

    private static StateChange AtomicityChange(Grant? existing) => Change(
        grants: [NewGrant("new-grant", end: At(5)), existing! with { End = At(999), EndReason = "changed" }],
        ledger: [NewLedgerEntry(Entitlement.GroupMembership("new-user", "new-group"))],
        intents: [NewIntent("new-intent", At(1))],
        fences: [NewFence("new-fence", At(2))],
        alerts: [NewAlert("new-alert", At(3))],
        audit: [NewAudit(1), NewAudit(2)]);

    private static async Task AssertNothingOfAtomicityChangeWrittenAsync(IStateStore store, AuditEntry? headBefore)
    {
        Assert.Null(await store.GetGrantAsync("new-grant"));
        Assert.Null(await store.GetLedgerEntryAsync(Entitlement.GroupMembership("new-user", "new-group").Key));
        Assert.Null(await store.GetIntentAsync("new-intent"));
        Assert.Null(await store.GetFenceAsync("new-fence"));
        Assert.Empty(await store.ListAlertsAsync(since: null));

        var existing = Assert.IsType<Grant>(await store.GetGrantAsync("existing-grant"));
        Assert.Equal(1, existing.Version);
        Assert.Equal(At(10), existing.End);
        Assert.Null(existing.EndReason);
        Assert.Equal(1, (await store.GetGrantAsync("existing-grant-2"))!.Version);
        Assert.Equal(1, (await store.GetFenceAsync("existing-fence"))!.Version);

        Assert.Equal(headBefore, await store.GetAuditHeadAsync());
        Assert.Single(await ReadAllAuditAsync(store));
        Assert.Equal(["existing-grant", "existing-grant-2"], SortedIds(await store.ListGrantsAsync(false, null)));
        Assert.Equal(["existing-grant", "existing-grant-2"], Ids(await store.GetDueGrantsAsync(At(10_000), 10)));
        Assert.Empty(await store.GetDueIntentsAsync(At(10_000), 10));
        Assert.Equal(["existing-fence"], Ids(await store.GetDueFencesAsync(At(10_000), 10)));
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Checkpoints
    // ----------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Checkpoint_round_trips_every_field_and_is_saved_at_the_next_version()
    {
        var store = await NewStoreAsync();
        var cursor = NewCheckpoint(
            "trail:o-abc123:111111111111:eu-west-1",
            "AWSLogs/o-abc123/111111111111/CloudTrail/eu-west-1/2026/07/01/111111111111_CloudTrail_eu-west-1_20260701T0005Z_ünï.json.gz",
            new DateTimeOffset(2026, 7, 1, 2, 5, 30, 125, TimeSpan.FromHours(2)));
        var empty = NewCheckpoint("trail:empty", value: "", updatedAt: new DateTimeOffset(2026, 7, 1, 0, 0, 0, 1, TimeSpan.FromMinutes(-330)));

        await store.CommitAsync(Change(checkpoints: [cursor, empty]));

        AssertSame(cursor with { Version = 1 }, await store.GetCheckpointAsync(cursor.Name));
        AssertSame(empty with { Version = 1 }, await store.GetCheckpointAsync(empty.Name));
        Assert.Null(await store.GetCheckpointAsync("trail:o-abc123"));
    }

    [Fact]
    public async Task Checkpoint_update_at_the_stored_version_replaces_it_and_increments_the_version()
    {
        var store = await NewStoreAsync();
        await store.CommitAsync(Change(checkpoints: [NewCheckpoint("cursor", "file-1", At(1))]));

        var v1 = Assert.IsType<Checkpoint>(await store.GetCheckpointAsync("cursor"));
        Assert.Equal(1, v1.Version);
        var moved = v1 with { Value = "file-2", UpdatedAt = At(2) };
        await store.CommitAsync(Change(checkpoints: [moved]));
        AssertSame(moved with { Version = 2 }, await store.GetCheckpointAsync("cursor"));

        var movedAgain = moved with { Version = 2, Value = "file-3", UpdatedAt = At(3) };
        await store.CommitAsync(Change(checkpoints: [movedAgain]));
        AssertSame(movedAgain with { Version = 3 }, await store.GetCheckpointAsync("cursor"));
    }

    [Fact]
    public async Task Checkpoints_of_different_names_are_independent()
    {
        var store = await NewStoreAsync();
        await store.CommitAsync(Change(checkpoints: [NewCheckpoint("a", "a-1"), NewCheckpoint("b", "b-1")]));

        await store.CommitAsync(Change(checkpoints: [(await store.GetCheckpointAsync("a"))! with { Value = "a-2" }]));

        var a = Assert.IsType<Checkpoint>(await store.GetCheckpointAsync("a"));
        Assert.Equal(("a-2", 2L), (a.Value, a.Version));
        AssertSame(NewCheckpoint("b", "b-1") with { Version = 1 }, await store.GetCheckpointAsync("b"));
    }

    [Fact]
    public async Task Inserting_an_existing_checkpoint_conflicts()
    {
        var store = await NewStoreAsync();
        var original = NewCheckpoint("cursor", "file-1", At(1));
        await store.CommitAsync(Change(checkpoints: [original]));

        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(
            () => store.CommitAsync(Change(checkpoints: [NewCheckpoint("cursor", "file-9", At(9))])));

        Assert.Equal("checkpoint", conflict.RecordType);
        Assert.Equal("cursor", conflict.Key);
        AssertSame(original with { Version = 1 }, await store.GetCheckpointAsync("cursor"));
    }

    [Fact]
    public async Task Updating_a_checkpoint_with_a_stale_or_future_version_conflicts()
    {
        var store = await NewStoreAsync();
        await store.CommitAsync(Change(checkpoints: [NewCheckpoint("cursor", "file-1")]));
        await store.CommitAsync(Change(checkpoints: [(await store.GetCheckpointAsync("cursor"))! with { Value = "file-2" }]));

        var stale = await Assert.ThrowsAsync<ConcurrencyConflictException>(
            () => store.CommitAsync(Change(checkpoints: [NewCheckpoint("cursor", "file-stale", version: 1)])));
        var ahead = await Assert.ThrowsAsync<ConcurrencyConflictException>(
            () => store.CommitAsync(Change(checkpoints: [NewCheckpoint("cursor", "file-ahead", version: 5)])));

        Assert.Equal(("checkpoint", "cursor"), (stale.RecordType, stale.Key));
        Assert.Equal(("checkpoint", "cursor"), (ahead.RecordType, ahead.Key));
        var stored = Assert.IsType<Checkpoint>(await store.GetCheckpointAsync("cursor"));
        Assert.Equal(("file-2", 2L), (stored.Value, stored.Version));
    }

    [Fact]
    public async Task A_checkpoint_read_unchanged_lets_the_change_commit_and_is_not_written()
    {
        var store = await NewStoreAsync();
        await store.CommitAsync(Change(checkpoints: [NewCheckpoint("room", "4", At(1))]));
        var read = Assert.IsType<Checkpoint>(await store.GetCheckpointAsync("room"));

        var change = Change(grants: [NewGrant("grant-a")]);
        change.Unchanged.Add(read);
        change.Unchanged.Add(NewCheckpoint("never-written"));
        await store.CommitAsync(change);

        Assert.NotNull(await store.GetGrantAsync("grant-a"));
        AssertSame(read, await store.GetCheckpointAsync("room"));
        Assert.Null(await store.GetCheckpointAsync("never-written"));
    }

    [Fact]
    public async Task A_checkpoint_read_unchanged_that_moved_or_appeared_since_conflicts_and_nothing_is_written()
    {
        var store = await NewStoreAsync();
        await store.CommitAsync(Change(checkpoints: [NewCheckpoint("room", "4", At(1))]));
        var read = Assert.IsType<Checkpoint>(await store.GetCheckpointAsync("room"));
        await store.CommitAsync(Change(checkpoints: [read with { Value = "", UpdatedAt = At(2) }]));
        await store.CommitAsync(Change(checkpoints: [NewCheckpoint("appeared", "1")]));

        var moved = Change(grants: [NewGrant("grant-a")]);
        moved.Unchanged.Add(read);
        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.CommitAsync(moved));
        var appeared = Change(grants: [NewGrant("grant-b")]);
        appeared.Unchanged.Add(NewCheckpoint("appeared"));
        var second = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.CommitAsync(appeared));

        Assert.Equal(("checkpoint", "room"), (conflict.RecordType, conflict.Key));
        Assert.Equal(("checkpoint", "appeared"), (second.RecordType, second.Key));
        Assert.Null(await store.GetGrantAsync("grant-a"));
        Assert.Null(await store.GetGrantAsync("grant-b"));
        Assert.Equal(2, (await store.GetCheckpointAsync("room"))!.Version);
    }

    [Fact]
    public async Task Updating_a_checkpoint_that_does_not_exist_conflicts()
    {
        var store = await NewStoreAsync();

        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(
            () => store.CommitAsync(Change(checkpoints: [NewCheckpoint("ghost", version: 1)])));

        Assert.Equal(("checkpoint", "ghost"), (conflict.RecordType, conflict.Key));
        Assert.Null(await store.GetCheckpointAsync("ghost"));
    }

    [Fact]
    public async Task A_stale_checkpoint_fails_its_whole_change()
    {
        var store = await NewStoreAsync();
        await SeedForAtomicityAsync(store);
        await store.CommitAsync(Change(checkpoints: [NewCheckpoint("cursor", "file-1")]));
        await store.CommitAsync(Change(checkpoints: [(await store.GetCheckpointAsync("cursor"))! with { Value = "file-2" }]));
        var headBefore = await store.GetAuditHeadAsync();

        var change = AtomicityChange(await store.GetGrantAsync("existing-grant"));
        change.Checkpoints.Add(NewCheckpoint("new-cursor", "file-1"));
        change.Checkpoints.Add(NewCheckpoint("cursor", "file-3", version: 1)); // stale: stored at version 2

        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.CommitAsync(change));

        Assert.Equal(("checkpoint", "cursor"), (conflict.RecordType, conflict.Key));
        await AssertNothingOfAtomicityChangeWrittenAsync(store, headBefore);
        Assert.Null(await store.GetCheckpointAsync("new-cursor"));
        var stored = Assert.IsType<Checkpoint>(await store.GetCheckpointAsync("cursor"));
        Assert.Equal(("file-2", 2L), (stored.Value, stored.Version));
    }

    [Fact]
    public async Task A_checkpoint_is_not_saved_when_another_record_of_its_change_conflicts()
    {
        var store = await NewStoreAsync();
        await SeedForAtomicityAsync(store);
        await store.CommitAsync(Change(checkpoints: [NewCheckpoint("cursor", "file-1")]));
        var headBefore = await store.GetAuditHeadAsync();

        var change = AtomicityChange(await store.GetGrantAsync("existing-grant"));
        change.Checkpoints.Add((await store.GetCheckpointAsync("cursor"))! with { Value = "file-2" });
        change.Checkpoints.Add(NewCheckpoint("new-cursor", "file-1"));
        change.Fences.Add(NewFence("existing-fence", At(500), version: 7)); // stale: stored at version 1

        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => store.CommitAsync(change));

        Assert.Equal("existing-fence", conflict.Key);
        await AssertNothingOfAtomicityChangeWrittenAsync(store, headBefore);
        Assert.Null(await store.GetCheckpointAsync("new-cursor"));
        var stored = Assert.IsType<Checkpoint>(await store.GetCheckpointAsync("cursor"));
        Assert.Equal(("file-1", 1L), (stored.Value, stored.Version));
    }

    [Fact]
    public async Task A_checkpoint_commits_with_the_grant_and_alert_it_confirms()
    {
        var store = await NewStoreAsync();
        await store.CommitAsync(Change(checkpoints: [NewCheckpoint("cursor", "file-1")]));

        await store.CommitAsync(Change(
            grants: [NewGrant("grant-1", end: At(10))],
            alerts: [NewAlert("alert-1", At(1))],
            audit: [NewAudit(1)],
            checkpoints: [(await store.GetCheckpointAsync("cursor"))! with { Value = "file-2", UpdatedAt = At(1) }]));

        Assert.NotNull(await store.GetGrantAsync("grant-1"));
        Assert.NotNull(await store.GetAlertAsync("alert-1"));
        Assert.Equal(1, (await store.GetAuditHeadAsync())!.Seq);
        AssertSame(NewCheckpoint("cursor", "file-2", At(1), version: 2), await store.GetCheckpointAsync("cursor"));
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Alerts
    // ----------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_repeated_alert_is_ignored_not_a_conflict_and_does_not_overwrite()
    {
        var store = await NewStoreAsync();
        var first = NewAlert("alert-1", At(1), "first");
        await store.CommitAsync(Change(alerts: [first]));

        await store.CommitAsync(Change(alerts: [NewAlert("alert-1", At(5), "second") with { Severity = AlertSeverity.Critical }]));

        AssertSame(first, Assert.Single(await store.ListAlertsAsync(since: null)));
    }

    [Fact]
    public async Task A_repeated_alert_does_not_stop_the_rest_of_its_change()
    {
        var store = await NewStoreAsync();
        await store.CommitAsync(Change(alerts: [NewAlert("alert-1", At(1), "first")]));

        await store.CommitAsync(Change(
            grants: [NewGrant("grant-1", end: At(10))],
            alerts: [NewAlert("alert-1", At(2), "again"), NewAlert("alert-2", At(3))],
            audit: [NewAudit(1)]));

        Assert.NotNull(await store.GetGrantAsync("grant-1"));
        var alerts = await store.ListAlertsAsync(since: null);
        Assert.Equal(["alert-1", "alert-2"], alerts.Select(a => a.Id).ToArray());
        Assert.Equal("first", alerts[0].Message);
        Assert.NotNull(await store.GetAuditHeadAsync());
    }

    [Fact]
    public async Task An_alert_is_found_by_id_and_a_missing_one_is_null()
    {
        var store = await NewStoreAsync();
        var alert = NewAlert("alert-by-id", At(3));
        await store.CommitAsync(Change(alerts: [alert]));

        Assert.Equal(alert.Message, (await store.GetAlertAsync("alert-by-id"))!.Message);
        Assert.Null(await store.GetAlertAsync("no-such-alert"));
    }

    [Fact]
    public async Task Alerts_are_listed_oldest_first_from_since_inclusive()
    {
        var store = await NewStoreAsync();
        await store.CommitAsync(Change(alerts: [NewAlert("c", At(30)), NewAlert("a", At(10))]));
        await store.CommitAsync(Change(alerts: [NewAlert("b", At(20)), NewAlert("d", At(40))]));

        Assert.Equal(["a", "b", "c", "d"], (await store.ListAlertsAsync(since: null)).Select(a => a.Id).ToArray());
        Assert.Equal(["b", "c", "d"], (await store.ListAlertsAsync(At(20))).Select(a => a.Id).ToArray());
        Assert.Equal(["c", "d"], (await store.ListAlertsAsync(At(21))).Select(a => a.Id).ToArray());
        Assert.Equal(["a", "b", "c", "d"], (await store.ListAlertsAsync(At(-100))).Select(a => a.Id).ToArray());
        Assert.Empty(await store.ListAlertsAsync(At(41)));
    }

    [Fact]
    public async Task Alert_since_compares_instants_not_local_clock_readings()
    {
        var store = await NewStoreAsync();
        // 01:30 at +02:00 is 23:30 UTC the day before: earlier than T0.
        await store.CommitAsync(Change(alerts: [NewAlert("early", new DateTimeOffset(2026, 7, 1, 1, 30, 0, TimeSpan.FromHours(2))), NewAlert("late", At(1))]));

        Assert.Equal(["late"], (await store.ListAlertsAsync(T0)).Select(a => a.Id).ToArray());
        Assert.Equal(["early", "late"], (await store.ListAlertsAsync(At(-31))).Select(a => a.Id).ToArray());
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Audit
    // ----------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Audit_records_are_chained_in_commit_order_across_commits()
    {
        var store = await NewStoreAsync();
        var records = Enumerable.Range(1, 6).Select(n => NewAudit(n)).ToArray();

        await store.CommitAsync(Change(audit: records[..2]));
        await store.CommitAsync(Change(grants: [NewGrant("grant-1")], audit: records[2..3]));
        await store.CommitAsync(Change(audit: records[3..]));

        var entries = await ReadAllAuditAsync(store);
        Assert.Equal([1L, 2, 3, 4, 5, 6], entries.Select(e => e.Seq).ToArray());
        AuditEntry? expectedHead = null;
        for (var i = 0; i < records.Length; i++)
        {
            expectedHead = AuditChain.Append(expectedHead, records[i]);
            Assert.Equal(expectedHead, entries[i]);
        }

        Assert.Equal(AuditChain.Genesis, entries[0].PrevHash);
        for (var i = 1; i < entries.Count; i++) Assert.Equal(entries[i - 1].Hash, entries[i].PrevHash);
        Assert.Null(await AuditChain.VerifyAsync(store.ReadAuditAsync()));
        Assert.Equal(entries[^1], await store.GetAuditHeadAsync());
    }

    [Fact]
    public async Task Audit_entries_keep_every_field()
    {
        var store = await NewStoreAsync();
        var record = new AuditRecord(
            new DateTimeOffset(2026, 7, 1, 5, 6, 7, 890, TimeSpan.FromHours(5.5)),
            "fence.activated",
            "arn:aws:sso:::permissionSet/ssoins-1/ps-1",
            """{"accounts":["111111111111"],"note":"ünïcödé \"quoted\"\nline","empty":""}""");

        await store.CommitAsync(Change(audit: [record]));

        var entry = Assert.Single(await ReadAllAuditAsync(store));
        Assert.Equal(1, entry.Seq);
        Assert.Equal(record.At, entry.At);
        Assert.Equal(record.Kind, entry.Kind);
        Assert.Equal(record.Subject, entry.Subject);
        Assert.Equal(record.Data, entry.Data);
        Assert.Equal(AuditChain.Append(null, record), entry);
        Assert.Null(await AuditChain.VerifyAsync(store.ReadAuditAsync()));
    }

    [Fact]
    public async Task Audit_can_be_read_from_any_sequence_number()
    {
        var store = await NewStoreAsync();
        await store.CommitAsync(Change(audit: Enumerable.Range(1, 5).Select(n => NewAudit(n))));
        var all = await ReadAllAuditAsync(store);

        Assert.Equal(all, await ReadAllAuditAsync(store, 1));
        Assert.Equal(all[2..], await ReadAllAuditAsync(store, 3));
        Assert.Equal([all[4]], await ReadAllAuditAsync(store, 5));
        Assert.Empty(await ReadAllAuditAsync(store, 6));
        Assert.Empty(await ReadAllAuditAsync(store, 1000));
        Assert.Equal(all, await ReadAllAuditAsync(store, 0));
    }

    [Fact]
    public async Task Audit_head_follows_the_last_entry()
    {
        var store = await NewStoreAsync();
        Assert.Null(await store.GetAuditHeadAsync());

        await store.CommitAsync(Change(audit: [NewAudit(1)]));
        var first = Assert.IsType<AuditEntry>(await store.GetAuditHeadAsync());
        Assert.Equal(1, first.Seq);

        await store.CommitAsync(Change(audit: [NewAudit(2), NewAudit(3)]));
        var head = Assert.IsType<AuditEntry>(await store.GetAuditHeadAsync());
        Assert.Equal(3, head.Seq);
        Assert.Equal("grant-3", head.Subject);
        Assert.Equal((await ReadAllAuditAsync(store))[^1], head);
    }

    [Fact]
    public async Task A_long_audit_log_reads_back_whole_and_in_order()
    {
        var store = await NewStoreAsync();
        const int commits = 30, perCommit = 40;
        for (var c = 0; c < commits; c++)
            await store.CommitAsync(Change(audit: Enumerable.Range(c * perCommit + 1, perCommit).Select(n => NewAudit(n, T0.AddSeconds(n)))));

        var entries = await ReadAllAuditAsync(store);

        Assert.Equal(Enumerable.Range(1, commits * perCommit).Select(n => (long)n), entries.Select(e => e.Seq));
        Assert.Equal(entries.Select(e => $"grant-{e.Seq}"), entries.Select(e => e.Subject));
        Assert.Null(await AuditChain.VerifyAsync(store.ReadAuditAsync()));
        Assert.Equal(commits * perCommit - 700 + 1, (await ReadAllAuditAsync(store, 700)).Count);
    }

    [Fact]
    public async Task Audit_can_be_enumerated_while_the_store_is_used()
    {
        var store = await NewStoreAsync();
        await store.CommitAsync(Change(audit: Enumerable.Range(1, 3).Select(n => NewAudit(n))));

        var seen = new List<long>();
        await foreach (var entry in store.ReadAuditAsync())
        {
            seen.Add(entry.Seq);
            // Reads and writes from inside the enumeration must neither deadlock nor corrupt it.
            Assert.NotNull(await store.GetAuditHeadAsync());
            await CommitAsync(store, NewGrant($"grant-during-{entry.Seq}"));
        }

        Assert.Equal([1L, 2, 3], seen);
        Assert.Equal(3, (await store.ListGrantsAsync(false, null)).Count);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Due queries
    // ----------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Due_grants_are_the_active_ones_ended_by_now_earliest_first()
    {
        var store = await NewStoreAsync();
        await CommitAsync(store,
            NewGrant("due-late", end: At(10)),
            NewGrant("due-early", end: At(-20)),
            NewGrant("due-exactly-now", end: At(15)),
            NewGrant("future", end: At(16)),
            NewGrant("standing", end: null),
            NewGrant("ended-past", end: At(-30), state: GrantState.Ended),
            NewGrant("ended-no-end", end: null, state: GrantState.Ended));

        var due = await store.GetDueGrantsAsync(At(15), 100);

        Assert.Equal(["due-early", "due-late", "due-exactly-now"], Ids(due));
        Assert.All(due, g => Assert.Equal(1, g.Version));
    }

    [Fact]
    public async Task Due_grants_honour_the_limit()
    {
        var store = await NewStoreAsync();
        await CommitAsync(store, Enumerable.Range(0, 10).Select(i => NewGrant($"grant-{i}", end: At(100 - i))).ToArray());

        Assert.Equal(["grant-9", "grant-8", "grant-7"], Ids(await store.GetDueGrantsAsync(At(1000), 3)));
        Assert.Single(await store.GetDueGrantsAsync(At(1000), 1));
        Assert.Equal(10, (await store.GetDueGrantsAsync(At(1000), 50)).Count);
        Assert.Equal(["grant-9", "grant-8"], Ids(await store.GetDueGrantsAsync(At(92), 50)));
    }

    [Fact]
    public async Task Due_grants_follow_updates()
    {
        var store = await NewStoreAsync();
        await CommitAsync(store, NewGrant("a", end: At(1)), NewGrant("b", end: At(2)), NewGrant("c", end: null));
        var a = (await store.GetGrantAsync("a"))!;
        var b = (await store.GetGrantAsync("b"))!;
        var c = (await store.GetGrantAsync("c"))!;

        await CommitAsync(store,
            a with { State = GrantState.Ended, EndedAt = At(1), EndReason = EndReasons.Expired },
            b with { End = At(500) },
            c with { End = At(3) });

        Assert.Equal(["c"], Ids(await store.GetDueGrantsAsync(At(100), 10)));
        Assert.Equal(["c", "b"], Ids(await store.GetDueGrantsAsync(At(500), 10)));
    }

    [Fact]
    public async Task Due_intents_are_the_pending_ones_due_by_now_earliest_first()
    {
        var store = await NewStoreAsync();
        await CommitAsync(store,
            NewIntent("late", At(10)),
            NewIntent("early", At(-5)),
            NewIntent("exactly-now", At(20)),
            NewIntent("future", At(21)),
            NewIntent("done", At(-10), state: IntentState.Done),
            NewIntent("superseded", At(-10), state: IntentState.Superseded));

        Assert.Equal(["early", "late", "exactly-now"], Ids(await store.GetDueIntentsAsync(At(20), 100)));
        Assert.Equal(["early", "late"], Ids(await store.GetDueIntentsAsync(At(20), 2)));
    }

    [Fact]
    public async Task Due_intents_can_be_read_by_kind_so_a_backlog_of_another_kind_never_fills_the_limit()
    {
        var store = await NewStoreAsync();
        await CommitAsync(store,
            NewIntent("hint-1", At(1), kind: IntentKind.ReconcileGroup, subject: "group-1"),
            NewIntent("hint-2", At(2), kind: IntentKind.ReconcileGroup, subject: "group-2"),
            NewIntent("hint-3", At(3), kind: IntentKind.ReconcileGroup, subject: "group-3"),
            NewIntent("remove", At(4), kind: IntentKind.RemoveEntitlement),
            NewIntent("sync", At(5), kind: IntentKind.SyncFences, subject: "arn:aws:sso:::permissionSet/ssoins-1/ps-1"),
            NewIntent("apply", At(6)));

        Assert.Equal(["hint-1", "hint-2"], Ids(await store.GetDueIntentsAsync(At(10), 2)));
        Assert.Equal(["sync"], Ids(await store.GetDueIntentsAsync(At(10), 2, IntentKind.SyncFences)));
        Assert.Equal(["remove"], Ids(await store.GetDueIntentsAsync(At(10), 2, IntentKind.RemoveEntitlement)));
        Assert.Equal(["hint-1", "hint-2", "hint-3"], Ids(await store.GetDueIntentsAsync(At(10), 10, IntentKind.ReconcileGroup)));
        Assert.Equal(["hint-1", "hint-2"], Ids(await store.GetDueIntentsAsync(At(10), 2, IntentKind.ReconcileGroup)));
        Assert.Equal(["hint-1"], Ids(await store.GetDueIntentsAsync(At(1), 10, IntentKind.ReconcileGroup)));
        Assert.Empty(await store.GetDueIntentsAsync(At(5), 10, IntentKind.ApplyEntitlement));
        Assert.Empty(await store.GetDueIntentsAsync(At(10), 10, IntentKind.Notify));
    }

    [Fact]
    public async Task Due_intents_follow_updates()
    {
        var store = await NewStoreAsync();
        await CommitAsync(store, NewIntent("a", At(1)), NewIntent("b", At(2)));
        var a = (await store.GetIntentAsync("a"))!;
        var b = (await store.GetIntentAsync("b"))!;

        // Claiming pushes NextAttemptAt forward; completing takes the intent out for good.
        await CommitAsync(store, a with { NextAttemptAt = At(50), Attempts = 1 }, b with { State = IntentState.Done, CompletedAt = At(2) });

        Assert.Empty(await store.GetDueIntentsAsync(At(49), 10));
        Assert.Equal(["a"], Ids(await store.GetDueIntentsAsync(At(50), 10)));
    }

    [Fact]
    public async Task Due_fences_are_the_active_ones_until_by_now_earliest_first()
    {
        var store = await NewStoreAsync();
        await CommitAsync(store,
            NewFence("late", At(10)),
            NewFence("early", At(-5)),
            NewFence("exactly-now", At(20)),
            NewFence("future", At(21)),
            NewFence("pending", At(-10), FenceState.Pending),
            NewFence("lifting", At(-10), FenceState.Lifting),
            NewFence("lifted", At(-10), FenceState.Lifted));

        Assert.Equal(["early", "late", "exactly-now"], Ids(await store.GetDueFencesAsync(At(20), 100)));
        Assert.Equal(["early"], Ids(await store.GetDueFencesAsync(At(20), 1)));
    }

    [Fact]
    public async Task Due_fences_follow_updates()
    {
        var store = await NewStoreAsync();
        await CommitAsync(store, NewFence("a", At(1)), NewFence("b", At(2), FenceState.Pending));
        var a = (await store.GetFenceAsync("a"))!;
        var b = (await store.GetFenceAsync("b"))!;

        await CommitAsync(store, a with { State = FenceState.Lifting }, b with { State = FenceState.Active, ActiveSince = At(0) });

        Assert.Equal(["b"], Ids(await store.GetDueFencesAsync(At(100), 10)));
    }

    [Fact]
    public async Task Due_queries_compare_instants_not_local_clock_readings()
    {
        var store = await NewStoreAsync();
        // 01:30 at +02:00 is 23:30 UTC the day before; 00:30 at -01:00 is 01:30 UTC.
        var early = new DateTimeOffset(2026, 7, 1, 1, 30, 0, TimeSpan.FromHours(2));
        var late = new DateTimeOffset(2026, 7, 1, 0, 30, 0, TimeSpan.FromHours(-1));
        await store.CommitAsync(Change(
            grants: [NewGrant("g-late", end: late), NewGrant("g-early", end: early)],
            intents: [NewIntent("i-late", late), NewIntent("i-early", early)],
            fences: [NewFence("f-late", late), NewFence("f-early", early)]));

        Assert.Equal(["g-early"], Ids(await store.GetDueGrantsAsync(T0, 10)));
        Assert.Equal(["i-early"], Ids(await store.GetDueIntentsAsync(T0, 10)));
        Assert.Equal(["f-early"], Ids(await store.GetDueFencesAsync(T0, 10)));
        Assert.Equal(["g-early", "g-late"], Ids(await store.GetDueGrantsAsync(At(90), 10)));
        Assert.Equal(["i-early", "i-late"], Ids(await store.GetDueIntentsAsync(At(90), 10)));
        Assert.Equal(["f-early", "f-late"], Ids(await store.GetDueFencesAsync(At(90), 10)));
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Other queries
    // ----------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Active_grants_for_groups_are_only_active_and_only_of_those_groups()
    {
        var store = await NewStoreAsync();
        await CommitAsync(store,
            NewGrant("g1-a", "group-1", end: At(10)),
            NewGrant("g1-b", "group-1", userId: "ic-user-2", end: null),
            NewGrant("g1-ended", "group-1", end: At(-10), state: GrantState.Ended),
            NewGrant("g2-a", "group-2", end: At(10)),
            NewGrant("g3-a", "group-3", end: At(10)));

        Assert.Equal(["g1-a", "g1-b", "g2-a"], SortedIds(await store.GetActiveGrantsForGroupsAsync(["group-1", "group-2"])));
        Assert.Equal(["g3-a"], SortedIds(await store.GetActiveGrantsForGroupsAsync(["group-3", "group-unknown"])));
        Assert.Empty(await store.GetActiveGrantsForGroupsAsync(["group-unknown"]));
        Assert.Empty(await store.GetActiveGrantsForGroupsAsync([]));
    }

    [Fact]
    public async Task Active_grants_for_groups_carry_the_slot_start_and_current_end()
    {
        var store = await NewStoreAsync();
        var bounded = NewGrant("g-bounded", "group-1", end: At(10));
        var open = NewGrant("g-open", "group-1", userId: "ic-user-2", end: null);
        await CommitAsync(store, bounded, open);
        var moved = (await store.GetGrantAsync("g-bounded"))! with { End = At(45) };
        var change = new StateChange();
        change.Grants.Add(moved);
        await store.CommitAsync(change);

        var active = (await store.GetActiveGrantsForGroupsAsync(["group-1"])).ToDictionary(g => g.Id);

        Assert.Equal(bounded.Slot, active["g-bounded"].Slot);
        Assert.Equal(bounded.Start, active["g-bounded"].Start);
        Assert.Equal(At(45), active["g-bounded"].End);
        Assert.Equal(open.Slot, active["g-open"].Slot);
        Assert.Null(active["g-open"].End);
    }

    [Fact]
    public async Task Active_grants_for_many_groups_are_all_found()
    {
        var store = await NewStoreAsync();
        for (var batch = 0; batch < 6; batch++)
            await CommitAsync(store, Enumerable.Range(batch * 40, 40).Select(i => NewGrant($"grant-{i:D3}", $"group-{i:D3}", end: At(10))).ToArray());

        var groups = Enumerable.Range(0, 240).Where(i => i % 2 == 0).Select(i => $"group-{i:D3}").Append("group-unknown").ToArray();

        Assert.Equal(
            Enumerable.Range(0, 240).Where(i => i % 2 == 0).Select(i => $"grant-{i:D3}").ToArray(),
            SortedIds(await store.GetActiveGrantsForGroupsAsync(groups)));
    }

    [Fact]
    public async Task Grants_are_listed_all_or_active_only()
    {
        var store = await NewStoreAsync();
        await CommitAsync(store,
            NewGrant("active-1", end: At(10)),
            NewGrant("active-2", "group-2", end: null),
            NewGrant("ended-1", end: At(-10), state: GrantState.Ended));

        Assert.Equal(["active-1", "active-2", "ended-1"], SortedIds(await store.ListGrantsAsync(activeOnly: false, user: null)));
        Assert.Equal(["active-1", "active-2"], SortedIds(await store.ListGrantsAsync(activeOnly: true, user: null)));
    }

    [Fact]
    public async Task Grants_are_listed_by_user_id_or_user_name_ignoring_case()
    {
        var store = await NewStoreAsync();
        await CommitAsync(store,
            NewGrant("alice-active", userId: "ic-alice", userName: "Alice@Example.com", end: At(10)),
            NewGrant("alice-ended", userId: "ic-alice", userName: "Alice@Example.com", end: At(-10), state: GrantState.Ended),
            NewGrant("bob-active", userId: "ic-bob", userName: "bob@example.com", end: At(10)));

        Assert.Equal(["alice-active", "alice-ended"], SortedIds(await store.ListGrantsAsync(false, "ic-alice")));
        Assert.Equal(["alice-active", "alice-ended"], SortedIds(await store.ListGrantsAsync(false, "Alice@Example.com")));
        Assert.Equal(["alice-active", "alice-ended"], SortedIds(await store.ListGrantsAsync(false, "alice@example.com")));
        Assert.Equal(["alice-active", "alice-ended"], SortedIds(await store.ListGrantsAsync(false, "ALICE@EXAMPLE.COM")));
        Assert.Equal(["alice-active"], SortedIds(await store.ListGrantsAsync(true, "alice@example.com")));
        Assert.Equal(["bob-active"], SortedIds(await store.ListGrantsAsync(true, "ic-bob")));
        Assert.Empty(await store.ListGrantsAsync(false, "carol@example.com"));
        Assert.Empty(await store.ListGrantsAsync(false, "alice"));
    }

    [Fact]
    public async Task Grant_listing_follows_a_changed_user_name()
    {
        var store = await NewStoreAsync();
        await CommitAsync(store, NewGrant("g", userId: "ic-alice", userName: "alice@old.example", end: At(10)));
        var g = (await store.GetGrantAsync("g"))!;

        await CommitAsync(store, g with { User = new IdentityCenterUser("ic-alice", "alice@new.example") });

        Assert.Empty(await store.ListGrantsAsync(false, "alice@old.example"));
        Assert.Equal(["g"], Ids(await store.ListGrantsAsync(false, "alice@new.example")));
    }

    [Fact]
    public async Task Ledger_entries_are_found_by_user_id()
    {
        var store = await NewStoreAsync();
        var a1 = NewLedgerEntry(Entitlement.GroupMembership("ic-alice", "group-1"));
        var a2 = NewLedgerEntry(Entitlement.AccountAssignment("ic-alice", "arn:ps-1", "111111111111"));
        var b1 = NewLedgerEntry(Entitlement.GroupMembership("ic-bob", "group-1"));
        await store.CommitAsync(Change(ledger: [a1, a2, b1]));

        var alice = await store.GetLedgerEntriesForUserAsync("ic-alice");
        Assert.Equal(new[] { a1.Key, a2.Key }.Order(StringComparer.Ordinal), alice.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.All(alice, e => Assert.Equal(1, e.Version));
        Assert.Equal([b1.Key], (await store.GetLedgerEntriesForUserAsync("ic-bob")).Select(e => e.Key).ToArray());
        Assert.Empty(await store.GetLedgerEntriesForUserAsync("ic-carol"));
    }

    [Fact]
    public async Task Pending_intents_are_found_by_kind_and_subject()
    {
        var store = await NewStoreAsync();
        await CommitAsync(store,
            NewIntent("apply-1", At(1), IntentKind.ApplyEntitlement, "key-1"),
            NewIntent("apply-1-later", At(100), IntentKind.ApplyEntitlement, "key-1"),
            NewIntent("apply-1-done", At(1), IntentKind.ApplyEntitlement, "key-1", IntentState.Done),
            NewIntent("remove-1", At(1), IntentKind.RemoveEntitlement, "key-1"),
            NewIntent("apply-2", At(1), IntentKind.ApplyEntitlement, "key-2"));

        Assert.Equal(["apply-1", "apply-1-later"], SortedIds(await store.GetPendingIntentsAsync(IntentKind.ApplyEntitlement, "key-1")));
        Assert.Equal(["remove-1"], SortedIds(await store.GetPendingIntentsAsync(IntentKind.RemoveEntitlement, "key-1")));
        Assert.Empty(await store.GetPendingIntentsAsync(IntentKind.RemoveEntitlement, "key-2"));
        Assert.Empty(await store.GetPendingIntentsAsync(IntentKind.SyncFences, "key-1"));

        var first = (await store.GetIntentAsync("apply-1"))!;
        await CommitAsync(store, first with { State = IntentState.Superseded, CompletedAt = At(2) });
        Assert.Equal(["apply-1-later"], SortedIds(await store.GetPendingIntentsAsync(IntentKind.ApplyEntitlement, "key-1")));
    }

    [Fact]
    public async Task Open_fences_of_a_permission_set_are_those_not_lifted()
    {
        var store = await NewStoreAsync();
        const string ps1 = "arn:aws:sso:::permissionSet/ssoins-1/ps-1", ps2 = "arn:aws:sso:::permissionSet/ssoins-1/ps-2";
        await CommitAsync(store,
            NewFence("pending", At(10), FenceState.Pending, ps1),
            NewFence("active", At(10), FenceState.Active, ps1),
            NewFence("lifting", At(10), FenceState.Lifting, ps1),
            NewFence("lifted", At(10), FenceState.Lifted, ps1),
            NewFence("other-ps", At(10), FenceState.Active, ps2));

        Assert.Equal(["active", "lifting", "pending"], SortedIds(await store.GetOpenFencesForPermissionSetAsync(ps1)));
        Assert.Equal(["other-ps"], SortedIds(await store.GetOpenFencesForPermissionSetAsync(ps2)));
        Assert.Empty(await store.GetOpenFencesForPermissionSetAsync("arn:aws:sso:::permissionSet/ssoins-1/ps-unknown"));

        var lifting = (await store.GetFenceAsync("lifting"))!;
        await CommitAsync(store, lifting with { State = FenceState.Lifted, LiftedAt = At(11) });
        Assert.Equal(["active", "pending"], SortedIds(await store.GetOpenFencesForPermissionSetAsync(ps1)));
    }

    [Fact]
    public async Task Fences_are_listed_all_or_open_only()
    {
        var store = await NewStoreAsync();
        await CommitAsync(store,
            NewFence("pending", At(10), FenceState.Pending),
            NewFence("active", At(10), FenceState.Active, "arn:ps-2"),
            NewFence("lifting", At(10), FenceState.Lifting),
            NewFence("lifted", At(10), FenceState.Lifted));

        Assert.Equal(["active", "lifted", "lifting", "pending"], SortedIds(await store.ListFencesAsync(openOnly: false)));
        Assert.Equal(["active", "lifting", "pending"], SortedIds(await store.ListFencesAsync(openOnly: true)));
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Leases
    // ----------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_free_lease_is_acquired_and_refused_to_others_until_it_expires()
    {
        var store = await NewStoreAsync();

        Assert.True(await store.TryAcquireLeaseAsync("sweeper", "node-a", At(0), TimeSpan.FromMinutes(1)));
        Assert.False(await store.TryAcquireLeaseAsync("sweeper", "node-b", At(0), TimeSpan.FromMinutes(1)));
        Assert.False(await store.TryAcquireLeaseAsync("sweeper", "node-b", At(1).AddMilliseconds(-1), TimeSpan.FromMinutes(1)));
        Assert.True(await store.TryAcquireLeaseAsync("sweeper", "node-b", At(1).AddMilliseconds(1), TimeSpan.FromMinutes(1)));
        Assert.False(await store.TryAcquireLeaseAsync("sweeper", "node-a", At(1).AddMilliseconds(2), TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task The_holder_renews_and_the_renewal_extends_the_lease()
    {
        var store = await NewStoreAsync();
        Assert.True(await store.TryAcquireLeaseAsync("sweeper", "node-a", At(0), TimeSpan.FromMinutes(1)));

        Assert.True(await store.TryAcquireLeaseAsync("sweeper", "node-a", At(0).AddSeconds(50), TimeSpan.FromMinutes(1)));

        // The first term would have ended at At(1); the renewal runs to At(1) + 50s.
        Assert.False(await store.TryAcquireLeaseAsync("sweeper", "node-b", At(1).AddSeconds(10), TimeSpan.FromMinutes(1)));
        Assert.True(await store.TryAcquireLeaseAsync("sweeper", "node-b", At(1).AddSeconds(51), TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task The_holder_may_retake_its_lease_after_it_expired()
    {
        var store = await NewStoreAsync();
        Assert.True(await store.TryAcquireLeaseAsync("sweeper", "node-a", At(0), TimeSpan.FromMinutes(1)));

        Assert.True(await store.TryAcquireLeaseAsync("sweeper", "node-a", At(10), TimeSpan.FromMinutes(1)));
        Assert.False(await store.TryAcquireLeaseAsync("sweeper", "node-b", At(10).AddSeconds(30), TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Only_the_holder_releases_a_lease()
    {
        var store = await NewStoreAsync();
        Assert.True(await store.TryAcquireLeaseAsync("sweeper", "node-a", At(0), TimeSpan.FromMinutes(1)));

        await store.ReleaseLeaseAsync("sweeper", "node-b");
        Assert.False(await store.TryAcquireLeaseAsync("sweeper", "node-b", At(0).AddSeconds(1), TimeSpan.FromMinutes(1)));

        await store.ReleaseLeaseAsync("sweeper", "node-a");
        Assert.True(await store.TryAcquireLeaseAsync("sweeper", "node-b", At(0).AddSeconds(2), TimeSpan.FromMinutes(1)));
        Assert.False(await store.TryAcquireLeaseAsync("sweeper", "node-a", At(0).AddSeconds(3), TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Releasing_an_unknown_lease_does_nothing()
    {
        var store = await NewStoreAsync();

        await store.ReleaseLeaseAsync("nobody-took-this", "node-a");

        Assert.True(await store.TryAcquireLeaseAsync("nobody-took-this", "node-b", At(0), TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Leases_of_different_names_are_independent()
    {
        var store = await NewStoreAsync();

        Assert.True(await store.TryAcquireLeaseAsync("sweeper", "node-a", At(0), TimeSpan.FromMinutes(1)));
        Assert.True(await store.TryAcquireLeaseAsync("reconciler", "node-b", At(0), TimeSpan.FromMinutes(1)));
        Assert.False(await store.TryAcquireLeaseAsync("reconciler", "node-a", At(0), TimeSpan.FromMinutes(1)));

        await store.ReleaseLeaseAsync("sweeper", "node-a");
        Assert.False(await store.TryAcquireLeaseAsync("reconciler", "node-a", At(0), TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Concurrent_lease_attempts_have_exactly_one_winner()
    {
        var store = await NewStoreAsync();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            await start.Task;
            return await store.TryAcquireLeaseAsync("sweeper", $"node-{i}", At(0), TimeSpan.FromMinutes(1));
        })).ToArray();

        start.SetResult();
        var results = await Task.WhenAll(attempts);

        Assert.Single(results, won => won);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Concurrent commits
    // ----------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Concurrent_updates_from_one_version_have_exactly_one_winner()
    {
        var store = await NewStoreAsync();
        await CommitAsync(store, NewIntent("intent-1", At(0)));
        var read = (await store.GetIntentAsync("intent-1"))!;
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var commits = Enumerable.Range(1, 8).Select(i => Task.Run(async () =>
        {
            await start.Task;
            try
            {
                await store.CommitAsync(Change(intents: [read with { Attempts = i, LastError = $"writer-{i}" }], audit: [NewAudit(i)]));
                return i;
            }
            catch (ConcurrencyConflictException conflict)
            {
                Assert.Equal("intent-1", conflict.Key);
                return 0;
            }
        })).ToArray();
        start.SetResult();
        var winners = (await Task.WhenAll(commits)).Where(i => i != 0).ToArray();

        var winner = Assert.Single(winners);
        var stored = (await store.GetIntentAsync("intent-1"))!;
        Assert.Equal(2, stored.Version);
        Assert.Equal(winner, stored.Attempts);
        Assert.Equal($"writer-{winner}", stored.LastError);
        var audit = Assert.Single(await ReadAllAuditAsync(store));
        Assert.Equal($"grant-{winner}", audit.Subject);
    }

    [Fact]
    public async Task Concurrent_inserts_of_one_record_have_exactly_one_winner()
    {
        var store = await NewStoreAsync();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var commits = Enumerable.Range(1, 8).Select(i => Task.Run(async () =>
        {
            await start.Task;
            try
            {
                await CommitAsync(store, NewGrant("grant-1", end: At(i)));
                return true;
            }
            catch (ConcurrencyConflictException)
            {
                return false;
            }
        })).ToArray();
        start.SetResult();
        var results = await Task.WhenAll(commits);

        Assert.Single(results, won => won);
        Assert.Equal(1, (await store.GetGrantAsync("grant-1"))!.Version);
    }

    [Fact]
    public async Task Concurrent_read_modify_write_loops_lose_no_update()
    {
        var store = await NewStoreAsync();
        await store.CommitAsync(Change(ledger: [NewLedgerEntry(Entitlement.GroupMembership("u", "g"), 0, "seed")]));
        var key = Entitlement.GroupMembership("u", "g").Key;
        const int writers = 6, incrementsEach = 8;
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var conflicts = 0;

        var loops = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            await start.Task;
            for (var n = 0; n < incrementsEach; n++)
            {
                while (true)
                {
                    var current = (await store.GetLedgerEntryAsync(key))!;
                    var next = current with { Holders = [.. current.Holders, $"w{w}-{n}"] };
                    try
                    {
                        await store.CommitAsync(Change(ledger: [next], audit: [new AuditRecord(At(0), "ledger.held", key, $"w{w}-{n}")]));
                        break;
                    }
                    catch (ConcurrencyConflictException)
                    {
                        Interlocked.Increment(ref conflicts);
                    }
                }
            }
        })).ToArray();
        start.SetResult();
        await Task.WhenAll(loops);

        var final = (await store.GetLedgerEntryAsync(key))!;
        Assert.Equal(1 + writers * incrementsEach, final.Version);
        Assert.Equal(1 + writers * incrementsEach, final.Holders.Count);
        Assert.Equal(final.Holders.Count, final.Holders.Distinct().Count());
        for (var w = 0; w < writers; w++)
        {
            // Each writer's own increments appear in its order.
            var mine = final.Holders.Where(h => h.StartsWith($"w{w}-", StringComparison.Ordinal)).ToArray();
            Assert.Equal(Enumerable.Range(0, incrementsEach).Select(n => $"w{w}-{n}"), mine);
        }

        // Exactly one audit entry per successful commit, chained in the order the commits won.
        var audit = await ReadAllAuditAsync(store);
        Assert.Equal(final.Holders.Skip(1), audit.Select(e => e.Data));
        Assert.Null(await AuditChain.VerifyAsync(store.ReadAuditAsync()));
    }

    [Fact]
    public async Task Concurrent_commits_of_different_records_all_succeed_and_chain_the_audit()
    {
        var store = await NewStoreAsync();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var commits = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            await start.Task;
            await store.CommitAsync(Change(
                grants: [NewGrant($"grant-{i:D2}", end: At(i))],
                intents: [NewIntent($"intent-{i:D2}", At(i))],
                audit: [NewAudit(i), NewAudit(100 + i)]));
        })).ToArray();
        start.SetResult();
        await Task.WhenAll(commits);

        Assert.Equal(16, (await store.ListGrantsAsync(false, null)).Count);
        Assert.Equal(16, (await store.GetDueIntentsAsync(At(100), 100)).Count);
        var audit = await ReadAllAuditAsync(store);
        Assert.Equal(32, audit.Count);
        Assert.Null(await AuditChain.VerifyAsync(store.ReadAuditAsync()));
        // A change's audit records stay adjacent: no other commit interleaves inside one change.
        for (var i = 0; i < audit.Count; i += 2)
            Assert.Equal(int.Parse(audit[i].Subject["grant-".Length..]) + 100, int.Parse(audit[i + 1].Subject["grant-".Length..]));
    }
}
