using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PimBridge.Composition;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Ports;
using PimBridge.Host.Events;
using PimBridge.Host.Security;
using PimBridge.Host.Worker;
using PimBridge.Store.Sqlite;
using PimBridge.Testing;
using PimBridge.Testing.Graph;

namespace PimBridge.Host.Tests;

/// <summary>
/// The real host (<see cref="PimBridgeHost"/>'s wiring, on an in-memory test server) over a real Enforcer, an in-memory SQLite
/// store, the simulated Identity Center, a fake PIM and fake Graph subscriptions, on a manual clock. The background
/// loop is off unless asked for: tests drive the worker's step directly.
/// </summary>
public sealed class HostHarness : IAsyncDisposable
{
    public const string Admin = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-admin00000000000";
    public const string Prod = "111111111111";
    public const string Staging = "222222222222";
    public const string OpsGroup = "11111111-1111-1111-1111-111111111111";
    public const string AuditGroup = "22222222-2222-2222-2222-222222222222";
    public const string UnmappedGroup = "99999999-9999-9999-9999-999999999999";
    public const string ClientState = Payloads.DefaultClientState;

    /// <summary>Subscriptions on both groups: ops renewed, audit unchanged.</summary>
    public static FakeSubscriptions NewSubscriptions() => new(
    [
        new(OpsGroup, $"groups/{OpsGroup}/members", "renewed", "sub-ops", new DateTimeOffset(2026, 7, 29, 0, 0, 0, TimeSpan.Zero)),
        new(AuditGroup, $"groups/{AuditGroup}/members", "unchanged", "sub-audit", new DateTimeOffset(2026, 7, 28, 0, 0, 0, TimeSpan.Zero)),
    ]);
    public const string SharedSecret = "shared-secret-abcdefghijklmnop";
    public const string SecretHeader = "X-PimBridge-Secret";
    public const string Issuer = "https://login.microsoftonline.com/8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e/v2.0";
    public const string Audience = "api://pimbridge-events";

    public static readonly Entitlement AliceOpsProd = Entitlement.AccountAssignment("u-alice", Admin, Prod);
    public static readonly Entitlement AliceAuditStaging = Entitlement.AccountAssignment("u-alice", Admin, Staging);

    private readonly WebApplication _app;
    private readonly SqliteStateStore _store;

    private HostHarness(WebApplication app, SqliteStateStore store, ManualTimeProvider clock, SimulatedIdentityCenter aws, FakePim pim, FakeSubscriptions subscriptions, Enforcer enforcer)
    {
        _app = app;
        _store = store;
        Clock = clock;
        Aws = aws;
        Pim = pim;
        Subscriptions = subscriptions;
        Enforcer = enforcer;
        Client = app.GetTestClient();
    }

    public ManualTimeProvider Clock { get; }
    public SimulatedIdentityCenter Aws { get; }
    public FakePim Pim { get; }
    public FakeSubscriptions Subscriptions { get; }
    public Enforcer Enforcer { get; }
    public IStateStore Store => _store;
    public HttpClient Client { get; }
    public IServiceProvider Services => _app.Services;
    public EnforcementWorker Worker => Services.GetRequiredService<EnforcementWorker>();
    public GapWorker GapWorker => Services.GetRequiredService<GapWorker>();

    public DriftSweepWorker DriftSweepWorker => Services.GetRequiredService<DriftSweepWorker>();
    public IngestionCounters Counters => Services.GetRequiredService<IngestionCounters>();
    public DateTimeOffset Now => Clock.GetUtcNow();

    public static RsaSecurityKey SigningKey { get; } = new(RSA.Create(2048)) { KeyId = "test-signing-key" };

    /// <param name="settings">Host settings under PimBridge:Host (keys relative to it), over the defaults below.</param>
    /// <param name="backgroundWorker">Run the worker's background loop (off: tests call its step).</param>
    /// <param name="compose">Replaces the composition (to make it fail).</param>
    /// <param name="inputs">Composes from the host's configuration with these, as a deployed host does (<see cref="ComposedEngine.ComposeAsync"/>).</param>
    /// <param name="configure">More configuration of the web host, applied last.</param>
    /// <param name="trailFolder">A folder of CloudTrail files for the gap detector (none: no gap detector).</param>
    /// <param name="membershipDelta">Graph's membership delta for the poll (none: the poll reads every group every interval).</param>
    public static async Task<HostHarness> StartAsync(
        IDictionary<string, string?>? settings = null, bool backgroundWorker = false,
        Func<IServiceProvider, CancellationToken, Task<ComposedEngine>>? compose = null, Action<WebApplicationBuilder>? configure = null,
        string? trailFolder = null, ComposedEngineInputs? inputs = null, IGroupMembershipDelta? membershipDelta = null)
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
        var aws = new SimulatedIdentityCenter();
        aws.PermissionSetsByName["Admin"] = Admin;
        aws.SessionDurations[Admin] = TimeSpan.FromHours(1);
        aws.Users["alice-entra"] = new IdentityCenterUser("u-alice", "alice@example.com");
        aws.Users["bob-entra"] = new IdentityCenterUser("u-bob", "bob@example.com");

        var options = new PimBridgeOptions
        {
            IdentityCenter = new() { InstanceArn = "arn:aws:sso:::instance/ssoins-0123456789abcdef", IdentityStoreId = "d-1234567890", Region = "eu-west-1" },
            Mappings =
            [
                new() { Name = "ops-admin", EntraGroupId = OpsGroup, AccountAssignments = new() { PermissionSet = "Admin", Accounts = [Prod] } },
                new() { Name = "audit-admin", EntraGroupId = AuditGroup, AccountAssignments = new() { PermissionSet = Admin, Accounts = [Staging] } },
            ],
        };
        var engine = PimBridgeConfiguration.Validate(options);
        var mappings = await ResolvedMapping.ResolveAsync(engine.Mappings, aws);
        var store = await SqliteStateStore.OpenAsync(SqliteStateStore.InMemory);
        var pim = new FakePim(clock);
        var subscriptions = NewSubscriptions();
        var enforcer = new Enforcer(new EnforcerSetup
        {
            Store = store, Aws = new IdentityCenterPorts(aws, aws, aws, aws), Mappings = mappings, Fences = engine.Fences, Settings = engine.Enforcer, Time = clock, Pim = pim,
        });
        var components = new ComposedEngine(enforcer, store, subscriptions)
        {
            Gaps = trailFolder is null ? null : new Core.Gaps.GapDetector(store, new Core.Gaps.TrailDirectorySource(trailFolder), aws, Core.Gaps.GapSettings.Default, clock),
            // Unpaced: the harness's clock moves only when a test moves it.
            Sweep = new DriftSweep(store, new IdentityCenterPorts(aws, aws, aws, aws), enforcer, engine.Verifier with { RequestsPerSecond = double.PositiveInfinity }, clock),
            GroupChanges = membershipDelta is null ? null : new Core.Polling.GroupChangeFeed(store, membershipDelta, clock),
        };

        var values = new Dictionary<string, string?>
        {
            ["SharedSecret:Secret"] = SharedSecret,
            ["Bearer:ValidAudiences:0"] = Audience,
            ["Bearer:ValidIssuers:0"] = Issuer,
            ["Worker:Enabled"] = backgroundWorker ? "true" : "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) values[key] = value;

        // As WebApplicationFactory did: the Development environment, the output folder (with the host's appsettings.json) as content root.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(values.ToDictionary(kv => $"{PimBridgeHostOptions.Section}:{kv.Key}", kv => kv.Value));
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddSingleton<ISigningKeySource>(new StaticSigningKeySource([SigningKey]));
        configure?.Invoke(builder);
        var app = inputs is not null ? PimBridgeHost.Build(builder, inputs)
            : PimBridgeHost.Build(builder, compose ?? ((_, _) => Task.FromResult(components)));
        try
        {
            await app.StartAsync();
            return new HostHarness(app, store, clock, aws, pim, subscriptions, enforcer);
        }
        catch
        {
            await app.DisposeAsync();
            await store.DisposeAsync();
            throw;
        }
    }

    public Activation Activate(string principal, string group, TimeSpan duration) => Pim.Activate(principal, group, duration);

    /// <summary>POSTs a delivery to the events endpoint, authenticated by the shared secret header unless told otherwise.</summary>
    public Task<HttpResponseMessage> DeliverAsync(string body, string contentType = "application/cloudevents+json; charset=utf-8", Action<HttpRequestMessage>? authenticate = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        (authenticate ?? (r => r.Headers.Add(SecretHeader, SharedSecret)))(request);
        return Client.SendAsync(request);
    }

    /// <summary>A token as Entra would issue it to Event Grid for this endpoint, valid now on the harness clock unless told otherwise.</summary>
    public string Token(string audience = Audience, string issuer = Issuer, TimeSpan? expiresIn = null, SecurityKey? key = null)
    {
        var now = Now.UtcDateTime;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.AddMinutes(-1),
            NotBefore = now.AddMinutes(-1),
            Expires = now + (expiresIn ?? TimeSpan.FromHours(1)),
            Claims = new Dictionary<string, object> { ["appid"] = "4962773b-9cdb-44cf-a8bf-237846a00ab7" },
            SigningCredentials = new SigningCredentials(key ?? SigningKey, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>Every pending "reconcile group" hint in the store, by group.</summary>
    public async Task<IReadOnlyList<Intent>> HintsAsync(string group) => await Store.GetPendingIntentsAsync(IntentKind.ReconcileGroup, group);

    /// <summary>Runs worker steps, moving the clock to each next due time, until <paramref name="done"/> (bounded).</summary>
    public async Task StepUntilAsync(Func<bool> done, int maxSteps = 50)
    {
        for (var i = 0; i < maxSteps && !done(); i++)
        {
            var step = await Worker.RunOnceAsync();
            if (done()) return;
            if (step.NextDueAt > Now) Clock.Advance(step.NextDueAt - Now);
        }

        Assert.True(done(), $"not done after {maxSteps} worker steps");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _store.DisposeAsync();
    }
}
