using System.Globalization;
using System.Reflection;
using System.Runtime.ExceptionServices;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using PimBridge.Store.DynamoDb;
using PimBridge.Testing;
using static PimBridge.Store.DynamoDb.DynamoDbSchema;

namespace PimBridge.Store.Tests;

/// <summary>
/// The DynamoDB store against a real moto_server: the whole <see cref="StateStoreConformance"/> contract, then what is
/// DynamoDB's own: the table schema and TTL, the item layout the indexes depend on, the transaction limit, and the
/// races the store resolves itself (alerts and the audit head moved by another writer, transaction conflicts).
/// </summary>
[Collection(DynamoDbMotoCollection.Name)]
public sealed class DynamoDbStateStoreTests(DynamoDbMotoFixture moto) : StateStoreConformance
{
    private static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    protected override async Task<IStateStore> CreateStoreAsync() =>
        new DynamoDbStateStore(moto.Client, await moto.CreateTableAsync());

    private async Task<(DynamoDbStateStore Store, string Table)> NewDynamoStoreAsync(IAmazonDynamoDB? client = null, TimeProvider? time = null)
    {
        var table = await moto.CreateTableAsync();
        return (new DynamoDbStateStore(client ?? moto.Client, table, Retention, time), table);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Table
    // ----------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task CreateTable_makes_the_documented_schema_with_ttl_on_expires_at()
    {
        var table = await moto.CreateTableAsync();

        var described = (await moto.Client.DescribeTableAsync(table)).Table;
        Assert.Equal(TableStatus.ACTIVE, described.TableStatus);
        Assert.Equal(BillingMode.PAY_PER_REQUEST, described.BillingModeSummary?.BillingMode);
        Assert.Equal(["pk HASH", "sk RANGE"], KeyDescription(described.KeySchema));
        var indexes = described.GlobalSecondaryIndexes.ToDictionary(i => i.IndexName);
        Assert.Equal(["due", "gsi1", "gsi2"], indexes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["due_kind HASH", "due_at RANGE"], KeyDescription(indexes["due"].KeySchema));
        Assert.Equal(["gsi1pk HASH", "gsi1sk RANGE"], KeyDescription(indexes["gsi1"].KeySchema));
        Assert.Equal(["gsi2pk HASH", "gsi2sk RANGE"], KeyDescription(indexes["gsi2"].KeySchema));
        Assert.Equal(ProjectionType.KEYS_ONLY, indexes["due"].Projection.ProjectionType);
        Assert.Equal(ProjectionType.KEYS_ONLY, indexes["gsi2"].Projection.ProjectionType);
        Assert.Equal(ProjectionType.INCLUDE, indexes["gsi1"].Projection.ProjectionType);
        Assert.Equal(["access", "end_at", "group_id", "mapping", "principal_id", "start_at"], indexes["gsi1"].Projection.NonKeyAttributes.Order(StringComparer.Ordinal));
        Assert.All(described.AttributeDefinitions, a => Assert.Equal(ScalarAttributeType.S, a.AttributeType));

        var ttl = (await moto.Client.DescribeTimeToLiveAsync(new DescribeTimeToLiveRequest { TableName = table })).TimeToLiveDescription;
        Assert.Equal(TimeToLiveStatus.ENABLED, ttl.TimeToLiveStatus);
        Assert.Equal("expires_at", ttl.AttributeName);
    }

    [Fact]
    public async Task CreateTable_leaves_an_existing_table_and_its_items_alone()
    {
        var (store, table) = await NewDynamoStoreAsync();
        await store.CommitAsync(Change(grants: [Grant("g1", end: At(10))]));

        await DynamoDbStateStore.CreateTableAsync(moto.Client, table, CancellationToken.None);

        Assert.Equal(1, (await store.GetGrantAsync("g1"))!.Version);
        var ttl = (await moto.Client.DescribeTimeToLiveAsync(new DescribeTimeToLiveRequest { TableName = table })).TimeToLiveDescription;
        Assert.Equal(TimeToLiveStatus.ENABLED, ttl.TimeToLiveStatus);
    }

    [Fact]
    public async Task CreateTable_refuses_an_existing_table_of_another_schema()
    {
        var table = $"foreign-{Guid.NewGuid():N}";
        await moto.Client.CreateTableAsync(new CreateTableRequest
        {
            TableName = table,
            BillingMode = BillingMode.PAY_PER_REQUEST,
            AttributeDefinitions = [new AttributeDefinition("id", ScalarAttributeType.S)],
            KeySchema = [new KeySchemaElement("id", KeyType.HASH)],
        });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => DynamoDbStateStore.CreateTableAsync(moto.Client, table, CancellationToken.None));

        Assert.Contains(table, error.Message);
        Assert.Contains("pk HASH", error.Message);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // TTL on closed records
    // ----------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Closed_records_carry_expires_at_closing_time_plus_retention_and_open_ones_do_not()
    {
        var (store, table) = await NewDynamoStoreAsync();
        var alertAt = new DateTimeOffset(2026, 7, 1, 3, 0, 0, TimeSpan.FromHours(2));
        await store.CommitAsync(Change(
            grants: [Grant("open", end: At(10)), Grant("standing", end: null), Grant("ended", end: At(-5), endedAt: At(-4))],
            ledger: [Ledger("u", "g")],
            intents: [Intent("pending", At(1)), Intent("done", At(1), IntentState.Done, completedAt: At(2)), Intent("superseded", At(1), IntentState.Superseded, completedAt: At(3))],
            fences: [Fence("pending-fence", FenceState.Pending), Fence("active-fence", FenceState.Active), Fence("lifting-fence", FenceState.Lifting), Fence("lifted-fence", FenceState.Lifted, liftedAt: At(4))],
            alerts: [Alert("alert-1", alertAt)],
            audit: [new AuditRecord(At(0), "k", "s", "{}")]));

        Assert.Equal(Epoch(At(-4) + Retention), await ExpiresAtAsync(table, "GRANT#ended", "GRANT"));
        Assert.Equal(Epoch(At(2) + Retention), await ExpiresAtAsync(table, "INTENT#done", "INTENT"));
        Assert.Equal(Epoch(At(3) + Retention), await ExpiresAtAsync(table, "INTENT#superseded", "INTENT"));
        Assert.Equal(Epoch(At(4) + Retention), await ExpiresAtAsync(table, "FENCE#lifted-fence", "FENCE"));
        Assert.Equal(Epoch(alertAt + Retention), await ExpiresAtAsync(table, "ALERT#alert-1", "ALERT"));

        Assert.Null(await ExpiresAtAsync(table, "GRANT#open", "GRANT"));
        Assert.Null(await ExpiresAtAsync(table, "GRANT#standing", "GRANT"));
        Assert.Null(await ExpiresAtAsync(table, "LEDGER#" + Entitlement.GroupMembership("u", "g").Key, "LEDGER"));
        Assert.Null(await ExpiresAtAsync(table, "INTENT#pending", "INTENT"));
        Assert.Null(await ExpiresAtAsync(table, "FENCE#pending-fence", "FENCE"));
        Assert.Null(await ExpiresAtAsync(table, "FENCE#active-fence", "FENCE"));
        Assert.Null(await ExpiresAtAsync(table, "FENCE#lifting-fence", "FENCE"));
        Assert.Null(await ExpiresAtAsync(table, "AUDIT", "00000000000000000001"));
        Assert.Null(await ExpiresAtAsync(table, "AUDITHEAD", "AUDITHEAD"));
    }

    [Fact]
    public async Task Closing_a_record_sets_expires_at_and_a_missing_closing_time_falls_back_to_the_clock()
    {
        var clock = new ManualTimeProvider(At(100));
        var (store, table) = await NewDynamoStoreAsync(time: clock);
        await store.CommitAsync(Change(grants: [Grant("g", end: At(10))], intents: [Intent("i", At(1))], fences: [Fence("f", FenceState.Active)]));
        Assert.Null(await ExpiresAtAsync(table, "GRANT#g", "GRANT"));

        var g = (await store.GetGrantAsync("g"))!;
        var i = (await store.GetIntentAsync("i"))!;
        var f = (await store.GetFenceAsync("f"))!;
        await store.CommitAsync(Change(
            grants: [g with { State = GrantState.Ended, EndedAt = null }],
            intents: [i with { State = IntentState.Done, CompletedAt = null }],
            fences: [f with { State = FenceState.Lifted, LiftedAt = null }]));

        Assert.Equal(Epoch(At(100) + Retention), await ExpiresAtAsync(table, "GRANT#g", "GRANT"));
        Assert.Equal(Epoch(At(100) + Retention), await ExpiresAtAsync(table, "INTENT#i", "INTENT"));
        Assert.Equal(Epoch(At(100) + Retention), await ExpiresAtAsync(table, "FENCE#f", "FENCE"));
    }

    [Fact]
    public async Task The_default_retention_is_ninety_days()
    {
        var table = await moto.CreateTableAsync();
        var store = new DynamoDbStateStore(moto.Client, table);
        await store.CommitAsync(Change(alerts: [Alert("a", At(0))]));

        Assert.Equal(TimeSpan.FromDays(90), store.ClosedRecordRetention);
        Assert.Equal(Epoch(At(0) + TimeSpan.FromDays(90)), await ExpiresAtAsync(table, "ALERT#a", "ALERT"));
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Sparse indexes
    // ----------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_due_intent_an_older_engine_wrote_to_the_one_partition_of_every_kind_is_still_read_and_leaves_it_when_written()
    {
        var (store, table) = await NewDynamoStoreAsync();
        await store.CommitAsync(Change(intents: [Intent("old", At(1)) with { Kind = IntentKind.RemoveEntitlement }, Intent("new", At(2))]));
        await moto.Client.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = table,
            Key = new() { [Pk] = new AttributeValue("INTENT#old"), [Sk] = new AttributeValue("INTENT") },
            UpdateExpression = "SET #k = :k",
            ExpressionAttributeNames = new() { ["#k"] = DueKind },
            ExpressionAttributeValues = new() { [":k"] = new AttributeValue(DueIntentOfAnyKind) },
        });
        Assert.Equal(["INTENT#old"], await DueIndexAsync(table, DueIntentOfAnyKind));

        Assert.Equal(["old"], (await store.GetDueIntentsAsync(At(10), 10, IntentKind.RemoveEntitlement)).Select(i => i.Id));
        Assert.Empty(await store.GetDueIntentsAsync(At(10), 10, IntentKind.SyncFences));
        Assert.Equal(["old", "new"], (await store.GetDueIntentsAsync(At(10), 10)).Select(i => i.Id));

        var old = (await store.GetIntentAsync("old"))!;
        await store.CommitAsync(Change(intents: [old with { NextAttemptAt = At(3) }]));
        Assert.Empty(await DueIndexAsync(table, DueIntentOfAnyKind));
        Assert.Equal(["INTENT#old"], await DueIndexAsync(table, DueIntent(IntentKind.RemoveEntitlement)));
    }

    [Fact]
    public async Task Due_records_are_in_the_due_index_and_leave_it_once_closed()
    {
        var (store, table) = await NewDynamoStoreAsync();
        await store.CommitAsync(Change(
            grants: [Grant("g", end: At(10)), Grant("standing", end: null)],
            intents: [Intent("i", At(1))],
            fences: [Fence("f", FenceState.Active), Fence("pending-fence", FenceState.Pending)]));

        Assert.Equal(["GRANT#g"], await DueIndexAsync(table, DueGrant));
        Assert.Equal(["INTENT#i"], await DueIndexAsync(table, DueIntent(IntentKind.ApplyEntitlement)));
        Assert.Equal(["FENCE#f"], await DueIndexAsync(table, DueFence));
        Assert.Equal("2026-07-01T00:10:00.0000000Z", (await RawAsync(table, "GRANT#g", "GRANT"))![DueAt].S);

        var g = (await store.GetGrantAsync("g"))!;
        var i = (await store.GetIntentAsync("i"))!;
        var f = (await store.GetFenceAsync("f"))!;
        await store.CommitAsync(Change(
            grants: [g with { State = GrantState.Ended, EndedAt = At(11) }],
            intents: [i with { State = IntentState.Done, CompletedAt = At(2) }],
            fences: [f with { State = FenceState.Lifting }]));

        Assert.Empty(await DueIndexAsync(table, DueGrant));
        Assert.Empty(await DueIndexAsync(table, DueIntent(IntentKind.ApplyEntitlement)));
        Assert.Empty(await DueIndexAsync(table, DueFence));
        foreach (var (pk, sk) in new[] { ("GRANT#g", "GRANT"), ("INTENT#i", "INTENT"), ("FENCE#f", "FENCE") })
        {
            var item = (await RawAsync(table, pk, sk))!;
            Assert.False(item.ContainsKey(DueKind), $"{pk} kept {DueKind}");
            Assert.False(item.ContainsKey(DueAt), $"{pk} kept {DueAt}");
        }

        // The lookup index lets closed records go too: no Active grant of the group, no pending intent of the subject.
        Assert.False((await RawAsync(table, "GRANT#g", "GRANT"))!.ContainsKey(Gsi1Pk));
        Assert.False((await RawAsync(table, "INTENT#i", "INTENT"))!.ContainsKey(Gsi1Pk));
        Assert.Equal("PERMSET#arn:aws:sso:::permissionSet/ssoins-1/ps-1", (await RawAsync(table, "FENCE#f", "FENCE"))![Gsi1Pk].S);
    }

    [Fact]
    public async Task Due_index_entries_that_lag_behind_their_records_are_checked_and_left_out()
    {
        // Real GSIs are eventually consistent; moto's are not, so the client plays the lag: the due index's first page
        // still lists a grant that has ended and one whose end moved into the future; the truly due ones follow on the
        // next page.
        var table = await moto.CreateTableAsync();
        var lagPage = IndexKey("LAG", "2026-06-30T23:00:00.0000000Z");
        var queries = 0;
        var client = InterceptedDynamoDb.Wrap(moto.Client, (name, args, proceed) =>
        {
            if (name != nameof(IAmazonDynamoDB.QueryAsync) || args[0] is not QueryRequest { IndexName: DueIndex } request)
                return proceed();
            Interlocked.Increment(ref queries);
            if (request.ExclusiveStartKey is { } from && from[Pk].S == "LAG")
            {
                request.ExclusiveStartKey = null;
                return proceed();
            }

            return Task.FromResult(new QueryResponse
            {
                Items = [IndexKey("GRANT#ended", "2026-06-30T23:51:00.0000000Z"), IndexKey("GRANT#moved", "2026-07-01T00:00:30.0000000Z")],
                LastEvaluatedKey = lagPage,
            });
        });
        var store = new DynamoDbStateStore(client, table);
        await store.CommitAsync(Change(grants: [Grant("ended", end: At(-9), endedAt: At(-1)), Grant("moved", end: At(500)), Grant("due-1", end: At(1)), Grant("due-2", end: At(2))]));

        Assert.Equal(["due-1", "due-2"], (await store.GetDueGrantsAsync(At(10), 10)).Select(g => g.Id).ToArray());
        Assert.Equal(["due-1"], (await store.GetDueGrantsAsync(At(10), 1)).Select(g => g.Id).ToArray());
        Assert.Equal(4, queries);

        static Dictionary<string, AttributeValue> IndexKey(string pk, string dueAt) => new()
        {
            [Pk] = new AttributeValue { S = pk },
            [Sk] = new AttributeValue { S = "GRANT" },
            [DueKind] = new AttributeValue { S = DueGrant },
            [DueAt] = new AttributeValue { S = dueAt },
        };
    }

    [Fact]
    public async Task The_slim_view_of_active_grants_is_projected_into_the_lookup_index_and_leaves_it_when_ended()
    {
        var (store, table) = await NewDynamoStoreAsync();
        var start = new DateTimeOffset(2026, 7, 1, 8, 0, 0, 7, TimeSpan.FromHours(2));
        var grant = Grant("g", end: At(10)) with { Start = start, Access = PimAccess.Owner };
        await store.CommitAsync(Change(grants: [grant, Grant("standing", end: null)]));

        var projected = (await LookupIndexAsync(table, "GROUP#group-1")).ToDictionary(i => i[Pk].S);
        Assert.Equal(["GRANT#g", "GRANT#standing"], projected.Keys.Order(StringComparer.Ordinal));
        var g = projected["GRANT#g"];
        Assert.Equal("admins", g[GrantMapping].S);
        Assert.Equal(grant.Principal.Id, g[GrantPrincipalId].S);
        Assert.Equal("group-1", g[GrantGroupId].S);
        Assert.Equal("Owner", g[GrantAccess].S);
        Assert.Equal("2026-07-01T08:00:00.0070000+02:00", g[GrantStart].S);
        Assert.Equal("2026-07-01T00:10:00.0000000+00:00", g[GrantEnd].S);
        Assert.False(projected["GRANT#standing"].ContainsKey(GrantEnd));
        Assert.False(g.ContainsKey(Json), "the lookup index must not carry whole records");

        var slim = Assert.Single(await store.GetActiveGrantsForGroupsAsync(["group-1"]), a => a.Id == "g");
        Assert.Equal(new ActiveGrant("g", grant.Slot, start, At(10)), slim);
        Assert.Equal(start.Offset, slim.Start.Offset);

        await store.CommitAsync(Change(grants: [(await store.GetGrantAsync("g"))! with { State = GrantState.Ended, EndedAt = At(5) }]));

        Assert.Equal(["GRANT#standing"], (await LookupIndexAsync(table, "GROUP#group-1")).Select(i => i[Pk].S).ToArray());
        var ended = (await RawAsync(table, "GRANT#g", "GRANT"))!;
        Assert.All(SlimGrantAttributes, a => Assert.False(ended.ContainsKey(a), $"an ended grant kept {a}"));
    }

    [Fact]
    public async Task CreateTable_refuses_a_lookup_index_that_does_not_project_the_slim_view()
    {
        var table = $"keys-only-{Guid.NewGuid():N}";
        var request = DynamoDbStateStore.CreateTableRequestFor(table);
        request.GlobalSecondaryIndexes.Single(i => i.IndexName == LookupIndex).Projection = new Projection { ProjectionType = ProjectionType.KEYS_ONLY };
        await moto.Client.CreateTableAsync(request);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => DynamoDbStateStore.CreateTableAsync(moto.Client, table, CancellationToken.None));

        Assert.Contains("gsi1", error.Message);
        Assert.Contains("principal_id", error.Message);
    }

    [Fact]
    public async Task Items_keep_the_stored_version_and_the_state_json()
    {
        var (store, table) = await NewDynamoStoreAsync();
        var grant = Grant("g", end: At(10));
        await store.CommitAsync(Change(grants: [grant]));
        await store.CommitAsync(Change(grants: [(await store.GetGrantAsync("g"))! with { End = At(20) }]));

        var item = (await RawAsync(table, "GRANT#g", "GRANT"))!;
        Assert.Equal("2", item[VersionAttribute].N);
        Assert.Equal(StateJson.Serialize(grant with { End = At(20), Version = 2 }), item[Json].S);
        Assert.Equal("grant", item[RecordType].S);
    }

    [Fact]
    public async Task A_checkpoint_is_one_item_with_its_value_and_version_and_never_expires()
    {
        var (store, table) = await NewDynamoStoreAsync();
        var updatedAt = new DateTimeOffset(2026, 7, 1, 2, 0, 0, 250, TimeSpan.FromHours(2));
        await store.CommitAsync(Change(checkpoints: [new Checkpoint { Name = "trail:o-1", Value = "file-1", UpdatedAt = At(0) }]));
        await store.CommitAsync(Change(checkpoints: [(await store.GetCheckpointAsync("trail:o-1"))! with { Value = "file-2", UpdatedAt = updatedAt }]));

        var item = (await RawAsync(table, "CHECKPOINT#trail:o-1", "CHECKPOINT"))!;
        Assert.Equal("checkpoint", item[RecordType].S);
        Assert.Equal("2", item[VersionAttribute].N);
        Assert.Equal("file-2", item[CheckpointValue].S);
        Assert.Equal(updatedAt.ToString("O", CultureInfo.InvariantCulture), item[CheckpointUpdatedAt].S);
        Assert.Equal(["pk", "rtype", "sk", "updated_at", "value", "version"], item.Keys.Order(StringComparer.Ordinal));
        Assert.False(item.ContainsKey(ExpiresAt));
    }

    [Fact]
    public async Task A_checkpoint_twice_in_one_change_is_refused()
    {
        var (store, _) = await NewDynamoStoreAsync();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.CommitAsync(Change(checkpoints:
            [new Checkpoint { Name = "c", Value = "1", UpdatedAt = At(0) }, new Checkpoint { Name = "c", Value = "2", UpdatedAt = At(0) }])));

        Assert.Contains("'c'", error.Message);
        Assert.Null(await store.GetCheckpointAsync("c"));
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Transactions
    // ----------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_change_of_one_hundred_items_commits_and_a_larger_one_is_refused_before_anything_is_written()
    {
        var (store, _) = await NewDynamoStoreAsync();

        await store.CommitAsync(Change(grants: Enumerable.Range(0, 60).Select(i => Grant($"g{i:D3}", end: At(i))), intents: Enumerable.Range(0, 40).Select(i => Intent($"i{i:D3}", At(i)))));
        Assert.Equal(60, (await store.ListGrantsAsync(false, null)).Count);

        // 99 records + 1 audit record + the audit head = 101 items.
        var tooBig = Change(grants: Enumerable.Range(0, 99).Select(i => Grant($"big{i:D3}", end: At(i))), audit: [new AuditRecord(At(0), "k", "s", "{}")]);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.CommitAsync(tooBig));
        Assert.Contains("101", error.Message);
        Assert.Contains("100", error.Message);

        var alsoTooBig = Change(alerts: Enumerable.Range(0, 101).Select(i => Alert($"a{i}", At(i))));
        await Assert.ThrowsAsync<ArgumentException>(() => store.CommitAsync(alsoTooBig));

        Assert.Null(await store.GetGrantAsync("big000"));
        Assert.Null(await store.GetAuditHeadAsync());
        Assert.Empty(await store.ListAlertsAsync(null));
    }

    [Fact]
    public async Task A_record_twice_in_one_change_is_refused()
    {
        var (store, _) = await NewDynamoStoreAsync();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.CommitAsync(Change(grants: [Grant("g", end: At(1)), Grant("g", end: At(2))])));

        Assert.Contains("'g'", error.Message);
        Assert.Null(await store.GetGrantAsync("g"));
    }

    [Fact]
    public async Task An_alert_repeated_within_one_change_is_recorded_once()
    {
        var (store, _) = await NewDynamoStoreAsync();

        await store.CommitAsync(Change(alerts: [Alert("a", At(1)) with { Message = "first" }, Alert("a", At(2)) with { Message = "second" }]));

        Assert.Equal("first", Assert.Single(await store.ListAlertsAsync(null)).Message);
    }

    [Fact]
    public async Task An_alert_stored_by_another_writer_after_the_check_is_left_out_not_a_conflict()
    {
        var table = await moto.CreateTableAsync();
        var other = new DynamoDbStateStore(moto.Client, table);
        var transactions = 0;
        var raced = false;
        var client = InterceptedDynamoDb.Wrap(moto.Client, (name, args, proceed) =>
        {
            if (name == nameof(IAmazonDynamoDB.TransactWriteItemsAsync))
                Interlocked.Increment(ref transactions);
            if (name != nameof(IAmazonDynamoDB.BatchGetItemAsync) || raced)
                return proceed();
            raced = true;
            return RaceAsync();

            async Task<BatchGetItemResponse> RaceAsync()
            {
                var checkedExisting = await (Task<BatchGetItemResponse>)proceed()!;
                await other.CommitAsync(Change(alerts: [Alert("alert-1", At(1)) with { Message = "theirs" }]));
                return checkedExisting;
            }
        });
        var store = new DynamoDbStateStore(client, table);

        await store.CommitAsync(Change(grants: [Grant("g", end: At(1))], alerts: [Alert("alert-1", At(2)) with { Message = "ours" }, Alert("alert-2", At(3))], audit: [new AuditRecord(At(0), "k", "s", "{}")]));

        Assert.True(raced);
        Assert.Equal(2, transactions);
        Assert.NotNull(await store.GetGrantAsync("g"));
        var alerts = await store.ListAlertsAsync(null);
        Assert.Equal(["alert-1", "alert-2"], alerts.Select(a => a.Id).ToArray());
        Assert.Equal("theirs", alerts[0].Message);
        Assert.Equal(1, (await store.GetAuditHeadAsync())!.Seq);
    }

    [Fact]
    public async Task An_audit_head_moved_by_another_writer_is_chained_after_not_a_conflict()
    {
        var table = await moto.CreateTableAsync();
        var other = new DynamoDbStateStore(moto.Client, table);
        var transactions = 0;
        var client = InterceptedDynamoDb.Wrap(moto.Client, (name, args, proceed) =>
        {
            if (name != nameof(IAmazonDynamoDB.TransactWriteItemsAsync))
                return proceed();
            return Interlocked.Increment(ref transactions) == 1 ? RaceAsync() : proceed();

            async Task<TransactWriteItemsResponse> RaceAsync()
            {
                await other.CommitAsync(Change(audit: [new AuditRecord(At(1), "theirs", "s", "{}")]));
                return await (Task<TransactWriteItemsResponse>)proceed()!;
            }
        });
        var store = new DynamoDbStateStore(client, table);

        await store.CommitAsync(Change(grants: [Grant("g", end: At(1))], audit: [new AuditRecord(At(2), "ours-1", "s", "{}"), new AuditRecord(At(3), "ours-2", "s", "{}")]));

        Assert.Equal(2, transactions);
        var entries = new List<AuditEntry>();
        await foreach (var e in store.ReadAuditAsync()) entries.Add(e);
        Assert.Equal(["theirs", "ours-1", "ours-2"], entries.Select(e => e.Kind).ToArray());
        Assert.Null(await AuditChain.VerifyAsync(store.ReadAuditAsync()));
        Assert.Equal(entries[^1], await store.GetAuditHeadAsync());
        Assert.Equal(1, (await store.GetGrantAsync("g"))!.Version);
    }

    [Fact]
    public async Task Transaction_conflicts_are_retried_with_backoff()
    {
        var table = await moto.CreateTableAsync();
        var transactions = 0;
        var client = InterceptedDynamoDb.Wrap(moto.Client, (name, args, proceed) =>
            name == nameof(IAmazonDynamoDB.TransactWriteItemsAsync) && Interlocked.Increment(ref transactions) <= 2
                ? Task.FromException<TransactWriteItemsResponse>(Cancelled(((TransactWriteItemsRequest)args[0]!).TransactItems.Count, "TransactionConflict"))
                : proceed());
        var clock = new ManualTimeProvider(At(0)) { AutoAdvance = true };
        var store = new DynamoDbStateStore(client, table, timeProvider: clock);

        await store.CommitAsync(Change(grants: [Grant("g", end: At(1))]));

        Assert.Equal(3, transactions);
        Assert.Equal(2, clock.Delays.Count);
        Assert.Equal(1, (await store.GetGrantAsync("g"))!.Version);
    }

    [Fact]
    public async Task Endless_transaction_conflicts_end_in_a_concurrency_conflict_naming_the_record()
    {
        var table = await moto.CreateTableAsync();
        var transactions = 0;
        var client = InterceptedDynamoDb.Wrap(moto.Client, (name, args, proceed) =>
        {
            if (name != nameof(IAmazonDynamoDB.TransactWriteItemsAsync))
                return proceed();
            Interlocked.Increment(ref transactions);
            return Task.FromException<TransactWriteItemsResponse>(Cancelled(((TransactWriteItemsRequest)args[0]!).TransactItems.Count, "None", "TransactionConflict"));
        });
        var clock = new ManualTimeProvider(At(0)) { AutoAdvance = true };
        var store = new DynamoDbStateStore(client, table, timeProvider: clock);

        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(
            () => store.CommitAsync(Change(grants: [Grant("g1", end: At(1)), Grant("g2", end: At(1))])));

        Assert.Equal("g2", conflict.Key);
        Assert.Equal("grant", conflict.RecordType);
        Assert.True(transactions > 5, $"gave up after {transactions} attempts");
        Assert.Equal(transactions - 1, clock.Delays.Count);
        Assert.All(clock.Delays, d => Assert.InRange(d, TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1)));
        Assert.Null(await store.GetGrantAsync("g1"));
    }

    [Fact]
    public async Task A_cancellation_for_another_reason_is_not_a_concurrency_conflict()
    {
        var table = await moto.CreateTableAsync();
        var client = InterceptedDynamoDb.Wrap(moto.Client, (name, args, proceed) =>
            name == nameof(IAmazonDynamoDB.TransactWriteItemsAsync)
                ? Task.FromException<TransactWriteItemsResponse>(Cancelled(((TransactWriteItemsRequest)args[0]!).TransactItems.Count, "ValidationError"))
                : proceed());
        var store = new DynamoDbStateStore(client, table);

        await Assert.ThrowsAsync<TransactionCanceledException>(() => store.CommitAsync(Change(grants: [Grant("g", end: At(1))])));
    }

    [Fact]
    public async Task A_stale_record_is_reported_even_when_the_audit_head_moved_too()
    {
        var (store, _) = await NewDynamoStoreAsync();
        await store.CommitAsync(Change(intents: [Intent("i", At(1))], audit: [new AuditRecord(At(0), "k", "s", "{}")]));
        var stale = (await store.GetIntentAsync("i"))!;
        await store.CommitAsync(Change(intents: [stale with { Attempts = 1 }], audit: [new AuditRecord(At(1), "k", "s", "{}")]));

        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(
            () => store.CommitAsync(Change(intents: [stale with { Attempts = 2 }], audit: [new AuditRecord(At(2), "k", "s", "{}")])));

        Assert.Equal("intent", conflict.RecordType);
        Assert.Equal("i", conflict.Key);
        Assert.Equal(2, (await store.GetAuditHeadAsync())!.Seq);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Leases
    // ----------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_lease_item_names_its_owner_and_expiry_and_is_deleted_on_release()
    {
        var (store, table) = await NewDynamoStoreAsync();

        Assert.True(await store.TryAcquireLeaseAsync("sweeper", "node-a", At(0), TimeSpan.FromMinutes(1)));

        var item = (await RawAsync(table, "LEASE#sweeper", "LEASE"))!;
        Assert.Equal("node-a", item[LeaseOwner].S);
        Assert.Equal(At(1).UtcTicks.ToString(CultureInfo.InvariantCulture), item[LeaseExpiresAt].N);
        Assert.False(item.ContainsKey(ExpiresAt));

        await store.ReleaseLeaseAsync("sweeper", "node-a");
        Assert.Null(await RawAsync(table, "LEASE#sweeper", "LEASE"));
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Helpers
    // ----------------------------------------------------------------------------------------------------------------

    private static string[] KeyDescription(IEnumerable<KeySchemaElement> keys) =>
        keys.Select(k => $"{k.AttributeName} {k.KeyType.Value}").ToArray();

    private static long Epoch(DateTimeOffset time) => time.ToUnixTimeSeconds();

    private async Task<Dictionary<string, AttributeValue>?> RawAsync(string table, string pk, string sk)
    {
        var response = await moto.Client.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = new() { [Pk] = new AttributeValue { S = pk }, [Sk] = new AttributeValue { S = sk } },
            ConsistentRead = true,
        });
        return response.Item is { Count: > 0 } item ? item : null;
    }

    private async Task<long?> ExpiresAtAsync(string table, string pk, string sk)
    {
        var item = await RawAsync(table, pk, sk) ?? throw new InvalidOperationException($"No item {pk}/{sk}.");
        return item.TryGetValue(ExpiresAt, out var value) ? long.Parse(value.N, CultureInfo.InvariantCulture) : null;
    }

    private async Task<List<Dictionary<string, AttributeValue>>> LookupIndexAsync(string table, string partition)
    {
        var response = await moto.Client.QueryAsync(new QueryRequest
        {
            TableName = table,
            IndexName = LookupIndex,
            KeyConditionExpression = "#k = :k",
            ExpressionAttributeNames = new() { ["#k"] = Gsi1Pk },
            ExpressionAttributeValues = new() { [":k"] = new AttributeValue { S = partition } },
        });
        return response.Items ?? [];
    }

    /// <summary>The table partition keys in one partition of the raw due index, in index order.</summary>
    private async Task<string[]> DueIndexAsync(string table, string kind)
    {
        var response = await moto.Client.QueryAsync(new QueryRequest
        {
            TableName = table,
            IndexName = DueIndex,
            KeyConditionExpression = "#k = :k",
            ExpressionAttributeNames = new() { ["#k"] = DueKind },
            ExpressionAttributeValues = new() { [":k"] = new AttributeValue { S = kind } },
        });
        return (response.Items ?? []).Select(i => i[Pk].S).ToArray();
    }

    private static TransactionCanceledException Cancelled(int items, params string[] codes) => new("Transaction cancelled (simulated)")
    {
        ErrorCode = "TransactionCanceledException",
        CancellationReasons = Enumerable.Range(0, items)
            .Select(i => new CancellationReason { Code = i < codes.Length ? codes[i] : "None" })
            .ToList(),
    };

    private static Grant Grant(string id, DateTimeOffset? end, DateTimeOffset? endedAt = null) =>
        NewGrant(id, end: end, state: endedAt is null ? GrantState.Active : GrantState.Ended) with { EndedAt = endedAt };

    private static LedgerEntry Ledger(string user, string group) => NewLedgerEntry(Entitlement.GroupMembership(user, group));

    private static Intent Intent(string id, DateTimeOffset next, IntentState state = IntentState.Pending, DateTimeOffset? completedAt = null) =>
        NewIntent(id, next, state: state) with { CompletedAt = completedAt };

    private static SessionFence Fence(string id, FenceState state, DateTimeOffset? liftedAt = null) =>
        NewFence(id, At(5), state) with { LiftedAt = liftedAt };

    private static Alert Alert(string id, DateTimeOffset at) => NewAlert(id, at);
}

/// <summary>
/// An <see cref="IAmazonDynamoDB"/> that passes every call to a real client through a hook, so a test can race another
/// writer in between a read and a write, or answer a call with a failure moto never produces.
/// </summary>
public class InterceptedDynamoDb : DispatchProxy
{
    /// <summary>(method name, arguments, call the real client) → result.</summary>
    public delegate object? Hook(string method, object?[] args, Func<object?> proceed);

    private IAmazonDynamoDB _inner = null!;
    private Hook _hook = null!;

    public static IAmazonDynamoDB Wrap(IAmazonDynamoDB inner, Hook hook)
    {
        var proxy = Create<IAmazonDynamoDB, InterceptedDynamoDb>();
        var self = (InterceptedDynamoDb)(object)proxy;
        self._inner = inner;
        self._hook = hook;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        return _hook(targetMethod.Name, args ?? [], () =>
        {
            try
            {
                return targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                throw;
            }
        });
    }
}
