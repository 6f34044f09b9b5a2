using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Gaps;
using PimBridge.Core.Ports;
using PimBridge.Store.Sqlite;
using PimBridge.Testing;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Cli.Tests;

/// <summary>
/// A PimBridge SQLite state file in a temporary folder, written by the real engine over a simulated Identity Center on
/// a virtual clock that ends shortly before <see cref="CliRun.Now"/>:
/// <list type="bullet">
/// <item>alice's ops-admin grant (Admin in two accounts) expired at <see cref="AliceExpired"/>; its fence was lifted;</item>
/// <item>bob's audit-admin grant was revoked at <see cref="BobRevoked"/>; its fence is still active;</item>
/// <item>alice holds two active grants again (ops-admin and platform, an Identity Center group);</item>
/// <item>carol has no Identity Center user, so the engine raised a warning (<c>unmapped-user</c>);</item>
/// <item>the gap detector's alerts are committed as it commits them: a critical one (alice's fence did not hold), an
/// info one (bob's call was denied), and an info one four days old (dave, whose grant is not in the file);</item>
/// <item>every change is audited, so the audit chain verifies.</item>
/// </list>
/// </summary>
public sealed class PreparedStore : IDisposable
{
    public const string Alice = "alice@example.com";
    public const string Bob = "bob@example.com";
    public const string RevokeReason = "INC-4711, laptop lost";

    public static readonly DateTimeOffset AliceStart = new(2026, 11, 21, 20, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset AliceExpired = AliceStart.AddHours(1);
    public static readonly DateTimeOffset BobStart = new(2026, 11, 22, 5, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset BobRevoked = BobStart.AddMinutes(70);
    public static readonly DateTimeOffset AliceAgain = new(2026, 11, 22, 7, 30, 0, TimeSpan.Zero);

    /// <summary>The gap alerts' event ids (CloudTrail's, GUIDs).</summary>
    public const string CriticalEvent = "5e0c2b8a-1111-4c3b-9a01-00000000c417";
    public const string InfoEvent = "5e0c2b8a-2222-4c3b-9a01-00000000b10c";
    public const string OldEvent = "5e0c2b8a-3333-4c3b-9a01-0000000001d0";

    private PreparedStore(string root)
    {
        Root = root;
    }

    /// <summary>The temporary folder (deleted on dispose).</summary>
    public string Root { get; }

    public string StatePath => Path.Combine(Root, "pimbridge.db");

    /// <summary>What the engine left, read back once the file was written, to compare listings with.</summary>
    public IReadOnlyList<Grant> Grants { get; private set; } = [];
    public IReadOnlyList<SessionFence> Fences { get; private set; } = [];
    public IReadOnlyList<Alert> Alerts { get; private set; } = [];
    public long AuditEntries { get; private set; }

    public static async Task<PreparedStore> CreateAsync()
    {
        var prepared = new PreparedStore(Directory.CreateTempSubdirectory("pimbridge-cli-store-").FullName);
        try
        {
            await prepared.WriteAsync();
            return prepared;
        }
        catch
        {
            prepared.Dispose();
            throw;
        }
    }

    /// <summary>An empty state file (migrated, nothing in it) next to the prepared one.</summary>
    public async Task<string> CreateEmptyAsync()
    {
        var path = Path.Combine(Root, "empty.db");
        await (await SqliteStateStore.OpenAsync(path)).DisposeAsync();
        return path;
    }

    /// <summary>Runs SQL against the state file directly (no pooled connection is left open on it).</summary>
    public async Task ExecuteSqlAsync(string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = StatePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        Assert.True(await command.ExecuteNonQueryAsync() > 0, $"'{sql}' changed nothing.");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere: the temp folder is left for the OS to clean.
        }
    }

    private async Task WriteAsync()
    {
        var clock = new ManualTimeProvider(AliceStart);
        var aws = new SimulatedIdentityCenter();
        aws.PermissionSetsByName["Admin"] = Admin;
        aws.PermissionSetsByName["ReadOnly"] = ReadOnly;
        aws.SessionDurations[Admin] = TimeSpan.FromHours(4);
        aws.SessionDurations[ReadOnly] = TimeSpan.FromHours(1);
        aws.GroupAssignments[IdcPlatformGroup] = [new(ReadOnly, Prod), new(Admin, Staging)];
        aws.Users["alice-entra"] = new IdentityCenterUser("u-alice", Alice);
        aws.Users["bob-entra"] = new IdentityCenterUser("u-bob", Bob);

        var settings = PimBridgeConfiguration.Validate(new PimBridgeOptions
        {
            IdentityCenter = new() { InstanceArn = "arn:aws:sso:::instance/ssoins-0123456789abcdef", IdentityStoreId = "d-1234567890", Region = "eu-west-1" },
            Mappings =
            [
                new() { Name = "ops-admin", EntraGroupId = OpsGroup, MaxDuration = "8h", AccountAssignments = new() { PermissionSet = "Admin", Accounts = [Prod, Staging] } },
                new() { Name = "audit-admin", EntraGroupId = AuditGroup, AccountAssignments = new() { PermissionSet = Admin, Accounts = [Prod] } },
                new() { Name = "platform", EntraGroupId = PlatformGroup, IdentityCenterGroup = new() { Id = IdcPlatformGroup } },
            ],
        });
        var mappings = await ResolvedMapping.ResolveAsync(settings.Mappings, aws);
        var groups = mappings.Select(m => m.Rule.EntraGroupId).Distinct().ToList();
        var activations = new List<Activation>();

        var store = await SqliteStateStore.OpenAsync(StatePath);
        await using (store)
        {
            var engine = new Enforcer(new EnforcerSetup
            {
                Store = store, Aws = new IdentityCenterPorts(aws, aws, aws, aws), Mappings = mappings, Fences = settings.Fences, Settings = settings.Enforcer, Time = clock,
            });

            async Task ReconcileAsync()
            {
                var now = clock.GetUtcNow();
                await engine.ReconcileAsync(new PimSnapshot(groups, activations.Where(a => a.End is null || a.End > now).ToList()));
            }

            async Task SettleAsync()
            {
                for (var i = 0; i < 20 && !(await engine.TickAsync()).DidNothing; i++)
                {
                }
            }

            async Task AdvanceToAsync(DateTimeOffset time)
            {
                clock.Advance(time - clock.GetUtcNow());
                await ReconcileAsync();
                await SettleAsync();
            }

            Activation Activate(string principal, string group, TimeSpan duration)
            {
                var activation = new Activation($"act-{activations.Count + 1}", new EntraPrincipal(principal, $"{principal}@contoso.com"), group, PimAccess.Member, clock.GetUtcNow(), clock.GetUtcNow() + duration);
                activations.Add(activation);
                return activation;
            }

            // alice: seen 5 s after PIM's start, live 4 s later; expires an hour later, is fenced, and the fence lifts.
            Activate("alice-entra", OpsGroup, TimeSpan.FromHours(1));
            clock.Advance(TimeSpan.FromSeconds(5));
            await ReconcileAsync();
            clock.Advance(TimeSpan.FromSeconds(4));
            await SettleAsync();
            await AdvanceToAsync(AliceExpired);
            var aliceFence = Assert.Single(await store.ListFencesAsync(openOnly: true));
            await AdvanceToAsync(aliceFence.Until);
            Assert.Empty(await store.ListFencesAsync(openOnly: true));

            // bob: revoked in an emergency; his fence is still up.
            clock.Advance(BobStart - clock.GetUtcNow());
            Activate("bob-entra", AuditGroup, TimeSpan.FromHours(2));
            await ReconcileAsync();
            await SettleAsync();
            clock.Advance(BobRevoked - clock.GetUtcNow());
            await engine.RevokeUserAsync(Bob, RevokeReason);
            await SettleAsync();

            // alice again, through two mappings; carol has no Identity Center user.
            clock.Advance(AliceAgain - clock.GetUtcNow());
            Activate("alice-entra", OpsGroup, TimeSpan.FromHours(4));
            Activate("alice-entra", PlatformGroup, TimeSpan.FromHours(8));
            await ReconcileAsync();
            await SettleAsync();
            await AdvanceToAsync(AliceAgain.AddMinutes(30));
            Activate("carol-entra", OpsGroup, TimeSpan.FromHours(1));
            await ReconcileAsync();

            // The gap detector's alerts, committed with their audit entries as it commits them.
            var aliceEnded = (await store.ListGrantsAsync(activeOnly: false, Alice)).First(g => g.State == GrantState.Ended);
            await CommitGapAlertAsync(store, GapClass.SucceededAfterFence, AlertSeverity.Critical, CriticalEvent, aliceEnded.Id, Alice, "u-alice",
                expiredAt: AliceExpired, eventTime: AliceExpired.AddMinutes(130), detectedAt: AliceExpired.AddMinutes(140), aliceFence);
            var bobEnded = Assert.Single(await store.ListGrantsAsync(activeOnly: false, Bob));
            var bobFence = Assert.Single(await store.ListFencesAsync(openOnly: true));
            await CommitGapAlertAsync(store, GapClass.Blocked, AlertSeverity.Info, InfoEvent, bobEnded.Id, Bob, "u-bob",
                expiredAt: BobRevoked, eventTime: BobRevoked.AddMinutes(30), detectedAt: BobRevoked.AddMinutes(35), bobFence);
            var longAgo = new DateTimeOffset(2026, 11, 18, 9, 0, 0, TimeSpan.Zero);
            await CommitGapAlertAsync(store, GapClass.Blocked, AlertSeverity.Info, OldEvent, "g-dave-archived", "dave@example.com", "u-dave",
                expiredAt: longAgo, eventTime: longAgo.AddHours(1), detectedAt: longAgo.AddMinutes(65), fence: null);

            Grants = await store.ListGrantsAsync(activeOnly: false, user: null);
            Fences = await store.ListFencesAsync(openOnly: false);
            Alerts = await store.ListAlertsAsync(since: null);
            AuditEntries = (await store.GetAuditHeadAsync())!.Seq;
            Assert.Null(await AuditChain.VerifyAsync(store.ReadAuditAsync()));
        }

        SqliteConnection.ClearAllPools();
    }

    private static async Task CommitGapAlertAsync(
        IStateStore store, GapClass cls, AlertSeverity severity, string eventId, string grantId, string user, string userId,
        DateTimeOffset expiredAt, DateTimeOffset eventTime, DateTimeOffset detectedAt, SessionFence? fence)
    {
        var alert = new GapAlert
        {
            Class = cls,
            Severity = severity,
            EventId = eventId,
            EventTime = eventTime,
            EventSource = "s3.amazonaws.com",
            EventName = cls == GapClass.Blocked ? "PutObject" : "GetObject",
            GrantId = grantId,
            UserId = userId,
            UserName = user,
            PermissionSetName = "Admin",
            AccountId = Prod,
            Region = "eu-west-1",
            SourceIpAddress = "198.51.100.7",
            UserAgent = "aws-cli/2.27.49 Python/3.13.4 \"quoted\", with a comma",
            ErrorCode = cls == GapClass.Blocked ? "AccessDenied" : null,
            ExpiredAt = expiredAt,
            FencedSince = fence?.ActiveSince,
            FenceId = fence?.Id,
            WasBlocked = cls == GapClass.Blocked,
        }.ToAlert(detectedAt);
        var change = new StateChange();
        change.Alerts.Add(alert);
        change.Audit.Add(new AuditRecord(detectedAt, "gap.alert", alert.Id, new JsonObject { ["severity"] = alert.Severity.ToString(), ["kind"] = alert.Kind }.ToJsonString()));
        await store.CommitAsync(change);
    }
}

/// <summary>Tests over a fresh <see cref="PreparedStore"/> each (a test may change its file).</summary>
public abstract class PreparedStoreTests : IAsyncLifetime
{
    protected PreparedStore Prepared { get; private set; } = null!;

    public async Task InitializeAsync() => Prepared = await PreparedStore.CreateAsync();

    public Task DisposeAsync()
    {
        Prepared.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Runs <c>pimbridge</c> with <c>--store</c> naming the prepared file.</summary>
    protected Task<CliRun> RunAsync(params string[] args) => CliRun.RunAsync([.. args, "--store", Prepared.StatePath]);

    /// <summary>A table's data rows: the lines between its header and its bottom border.</summary>
    protected static List<string> Rows(string output) =>
        output.Split('\n').SkipWhile(l => !l.StartsWith('├')).Skip(1).TakeWhile(l => l.StartsWith('│')).ToList();

    /// <summary>A table row's cells, trimmed.</summary>
    protected static string[] Cells(string row) => row.Split('│')[1..^1].Select(c => c.Trim()).ToArray();

    /// <summary>The single line a failing command wrote to standard error.</summary>
    protected static string ErrorLine(CliRun run) => Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)).TrimEnd('\r');
}
