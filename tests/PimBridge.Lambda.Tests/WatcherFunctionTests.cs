using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using PimBridge.Composition;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Gaps;
using PimBridge.Core.Ports;
using PimBridge.Sandbox;
using PimBridge.Sandbox.Trails;
using PimBridge.Store.Sqlite;
using PimBridge.Testing;

namespace PimBridge.Lambda.Tests;

/// <summary>The watcher's handler over the real engine, a SQLite store and a simulated Identity Center.</summary>
public sealed class WatcherFunctionTests : IAsyncLifetime
{
    private const string Admin = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-admin00000000000";
    private const string Prod = "111111111111";
    private const string OpsGroup = "11111111-1111-1111-1111-111111111111";

    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly SimulatedIdentityCenter _aws = new();
    private readonly StringWriter _stdout = new();
    private SqliteStateStore _store = null!;
    private Enforcer _enforcer = null!;
    private WatcherFunction _watcher = null!;

    private sealed class NoSubscriptions : IGraphSubscriptions
    {
        public Task<SubscriptionReport> EnsureAsync(CancellationToken cancellationToken = default) => Task.FromResult(new SubscriptionReport([]));
        public Task<SubscriptionAction> ReauthorizeAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("the watcher never reauthorizes subscriptions");
    }

    public async Task InitializeAsync()
    {
        _aws.PermissionSetsByName["Admin"] = Admin;
        _aws.SessionDurations[Admin] = TimeSpan.FromHours(1);
        _aws.Users["alice-entra"] = new IdentityCenterUser("u-alice", "alice@example.com");
        var settings = PimBridgeConfiguration.Validate(new PimBridgeOptions
        {
            IdentityCenter = new() { InstanceArn = "arn:aws:sso:::instance/ssoins-0123456789abcdef", IdentityStoreId = "d-1234567890", Region = "eu-west-1" },
            Mappings = [new() { Name = "ops-admin", EntraGroupId = OpsGroup, AccountAssignments = new() { PermissionSet = "Admin", Accounts = [Prod] } }],
        });
        var mappings = await ResolvedMapping.ResolveAsync(settings.Mappings, _aws);
        _store = await SqliteStateStore.OpenAsync(":memory:");
        _enforcer = new Enforcer(new EnforcerSetup
        {
            Store = _store, Aws = new IdentityCenterPorts(_aws, _aws, _aws, _aws), Mappings = mappings, Fences = settings.Fences, Settings = settings.Enforcer, Time = _clock,
        });
        _watcher = new WatcherFunction(new ComposedEngine(_enforcer, _store, new NoSubscriptions()),
            new EmbeddedMetrics(_stdout, _clock, "pimbridge-watcher"), NullLogger.Instance);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        if (Directory.Exists(_trails)) Directory.Delete(_trails, recursive: true);
    }

    private readonly string _trails = Path.Combine(Path.GetTempPath(), $"pimbridge-lambda-trails-{Guid.NewGuid():N}");

    private static LambdaInvocation Scheduled(string id) => new(id, DateTimeOffset.UtcNow.AddMinutes(1), null, null, "{\"source\":\"aws.scheduler\"}"u8.ToArray());

    private List<JsonElement> MetricLines() => _stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();

    [Fact]
    public async Task The_sweep_runs_in_the_invocation_whose_turn_it_is_and_its_repair_in_the_next()
    {
        var watcher = new WatcherFunction(new ComposedEngine(_enforcer, _store, new NoSubscriptions())
        {
            Sweep = new DriftSweep(_store, new IdentityCenterPorts(_aws, _aws, _aws, _aws), _enforcer, VerifierSettings.Default with { RequestsPerSecond = double.PositiveInfinity }, _clock),
        }, new EmbeddedMetrics(_stdout, _clock, "pimbridge-watcher"), NullLogger.Instance);
        var activation = new Activation("act-1", new EntraPrincipal("alice-entra", "alice@contoso.com"), OpsGroup, PimAccess.Member, _clock.GetUtcNow(), _clock.GetUtcNow().AddHours(2));
        await _enforcer.ReconcileAsync(new PimSnapshot([OpsGroup], [activation]));
        var first = JsonSerializer.Deserialize<WatcherSummary>(await watcher.HandleAsync(Scheduled("r-1"), CancellationToken.None))!;
        var entitlement = Entitlement.AccountAssignment("u-alice", Admin, Prod);
        _aws.RemoveForeign(entitlement); // an administrator deletes the assignment
        _clock.Advance(TimeSpan.FromMinutes(1));
        var notYet = JsonSerializer.Deserialize<WatcherSummary>(await watcher.HandleAsync(Scheduled("r-2"), CancellationToken.None))!;
        _clock.Advance(TimeSpan.FromMinutes(4));

        var swept = JsonSerializer.Deserialize<WatcherSummary>(await watcher.HandleAsync(Scheduled("r-3"), CancellationToken.None))!;
        var repaired = _aws.IsActive(entitlement);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await watcher.HandleAsync(Scheduled("r-4"), CancellationToken.None);

        Assert.Equal(0, first.Drifts);
        Assert.Null(notYet.Drifts);
        Assert.Equal(1, swept.Drifts);
        Assert.False(repaired);
        Assert.True(_aws.IsActive(entitlement));
    }

    [Fact]
    public async Task An_invocation_after_PIM_expiry_removes_the_access_and_answers_a_summary_with_a_zero_error_metric()
    {
        var activation = new Activation("act-1", new EntraPrincipal("alice-entra", "alice@contoso.com"), OpsGroup, PimAccess.Member, _clock.GetUtcNow(), _clock.GetUtcNow().AddHours(1));
        await _enforcer.ReconcileAsync(new PimSnapshot([OpsGroup], [activation]));
        await _enforcer.TickAsync();
        Assert.NotEmpty(_aws.ActiveKeys);
        _clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));

        var body = await _watcher.HandleAsync(Scheduled("r-1"), CancellationToken.None);

        Assert.Empty(_aws.ActiveKeys);
        var summary = JsonSerializer.Deserialize<WatcherSummary>(body)!;
        Assert.Equal(1, summary.GrantsEnded);
        Assert.True(summary.IntentsDone >= 1, Encoding.UTF8.GetString(body));
        Assert.True(summary.Idle);
        Assert.Null(summary.GapAlerts);
        var metric = Assert.Single(MetricLines());
        Assert.Equal(0, metric.GetProperty(EmbeddedMetrics.WatcherErrors).GetInt32());
        Assert.Equal("pimbridge-watcher", metric.GetProperty("Function").GetString());
        var definition = metric.GetProperty("_aws").GetProperty("CloudWatchMetrics")[0];
        Assert.Equal("PimBridge", definition.GetProperty("Namespace").GetString());
        Assert.Equal("Function", definition.GetProperty("Dimensions")[0][0].GetString());
        Assert.Equal(EmbeddedMetrics.WatcherErrors, definition.GetProperty("Metrics")[0].GetProperty("Name").GetString());
    }

    [Fact]
    public async Task A_failing_invocation_counts_one_watcher_error_and_rethrows_for_the_runtime_to_report()
    {
        await _store.DisposeAsync();

        await Assert.ThrowsAnyAsync<Exception>(() => _watcher.HandleAsync(Scheduled("r-2"), CancellationToken.None));

        var metric = Assert.Single(MetricLines());
        Assert.Equal(1, metric.GetProperty(EmbeddedMetrics.WatcherErrors).GetInt32());
    }

    [Fact]
    public async Task Credentials_minted_after_expiry_are_counted_as_a_critical_gap_alert_metric()
    {
        var start = _clock.GetUtcNow();
        var activation = new Activation("act-1", new EntraPrincipal("alice-entra", "alice@contoso.com"), OpsGroup, PimAccess.Member, start, start.AddHours(1));
        await _enforcer.ReconcileAsync(new PimSnapshot([OpsGroup], [activation]));
        await _enforcer.TickAsync();
        _clock.Advance(TimeSpan.FromHours(1));
        await _watcher.HandleAsync(Scheduled("r-end"), CancellationToken.None);
        var end = start.AddHours(1);
        Directory.CreateDirectory(_trails);
        File.WriteAllBytes(Path.Combine(_trails, "111111111111_CloudTrail_eu-west-1_20260701T1030Z_a.json.gz"), TrailJson.Gzip(TrailJson.File(
        [
            TrailJson.RoleSessionCall("new-credentials", end.AddMinutes(30), Prod, "Admin", "alice@example.com", userId: "u-alice", sessionCreated: end.AddMinutes(25)),
        ])));
        _clock.Advance(TimeSpan.FromMinutes(40));
        var watcher = new WatcherFunction(
            new ComposedEngine(_enforcer, _store, new NoSubscriptions()) { Gaps = new GapDetector(_store, new TrailDirectorySource(_trails), _aws, GapSettings.Default, _clock) },
            new EmbeddedMetrics(_stdout, _clock, "pimbridge-watcher"), NullLogger.Instance);
        _stdout.GetStringBuilder().Clear();

        var summary = JsonSerializer.Deserialize<WatcherSummary>(await watcher.HandleAsync(Scheduled("r-scan"), CancellationToken.None))!;

        Assert.Equal(1, summary.GapAlerts);
        Assert.Equal(1, summary.CriticalGapAlerts);
        var critical = Assert.Single(MetricLines(), line => line.TryGetProperty(EmbeddedMetrics.CriticalGapAlerts, out _));
        Assert.Equal(1, critical.GetProperty(EmbeddedMetrics.CriticalGapAlerts).GetInt32());
        Assert.Equal(EmbeddedMetrics.CriticalGapAlerts, critical.GetProperty("_aws").GetProperty("CloudWatchMetrics")[0].GetProperty("Metrics")[0].GetProperty("Name").GetString());
    }
}
