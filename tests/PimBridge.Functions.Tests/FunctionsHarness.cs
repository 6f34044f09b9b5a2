using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PimBridge.Composition;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Ports;
using PimBridge.Entra;
using PimBridge.Host;
using PimBridge.Host.Security;
using PimBridge.Store.Sqlite;
using PimBridge.Testing;
using PimBridge.Testing.Graph;

namespace PimBridge.Functions.Tests;

/// <summary>
/// The Functions app's services as its entry point registers them (<see cref="FunctionsComposition.AddPimBridge"/>),
/// over a real Enforcer, an in-memory SQLite store, the simulated Identity Center, a fake PIM and fake Graph
/// subscriptions, on a manual clock. The functions are created from the container, as the worker creates them, and
/// called directly; the background workers are not started.
/// </summary>
public sealed class FunctionsHarness : IAsyncDisposable
{
    public const string Admin = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-admin00000000000";
    public const string Prod = "111111111111";
    public const string OpsGroup = "11111111-1111-1111-1111-111111111111";
    public const string AuditGroup = "22222222-2222-2222-2222-222222222222";
    public const string SharedSecret = "shared-secret-abcdefghijklmnop";
    public const string SecretHeader = "X-PimBridge-Secret";

    public static readonly Entitlement AliceOpsProd = Entitlement.AccountAssignment("u-alice", Admin, Prod);

    private readonly ServiceProvider _services;
    private readonly SqliteStateStore _store;

    private FunctionsHarness(ServiceProvider services, SqliteStateStore store, ManualTimeProvider clock, SimulatedIdentityCenter aws, FakePim pim, FakeSubscriptions subscriptions)
    {
        _services = services;
        _store = store;
        Clock = clock;
        Aws = aws;
        Pim = pim;
        Subscriptions = subscriptions;
    }

    public ManualTimeProvider Clock { get; }
    public SimulatedIdentityCenter Aws { get; }
    public FakePim Pim { get; }
    public FakeSubscriptions Subscriptions { get; }
    public IStateStore Store => _store;
    public IServiceProvider Services => _services;

    /// <param name="membershipDelta">Graph's membership delta as the timer's poll sees it; null composes none.</param>
    public static async Task<FunctionsHarness> StartAsync(IGroupMembershipDelta? membershipDelta = null)
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
        var aws = new SimulatedIdentityCenter();
        aws.PermissionSetsByName["Admin"] = Admin;
        aws.SessionDurations[Admin] = TimeSpan.FromHours(1);
        aws.Users["alice-entra"] = new IdentityCenterUser("u-alice", "alice@example.com");
        var engine = PimBridgeConfiguration.Validate(new PimBridgeOptions
        {
            IdentityCenter = new() { InstanceArn = "arn:aws:sso:::instance/ssoins-0123456789abcdef", IdentityStoreId = "d-1234567890", Region = "eu-west-1" },
            Mappings =
            [
                new() { Name = "ops-admin", EntraGroupId = OpsGroup, AccountAssignments = new() { PermissionSet = "Admin", Accounts = [Prod] } },
                new() { Name = "audit-admin", EntraGroupId = AuditGroup, AccountAssignments = new() { PermissionSet = "Admin", Accounts = [Prod] } },
            ],
        });
        var mappings = await ResolvedMapping.ResolveAsync(engine.Mappings, aws);
        var store = await SqliteStateStore.OpenAsync(SqliteStateStore.InMemory);
        var pim = new FakePim(clock);
        var subscriptions = new FakeSubscriptions(
            [new(OpsGroup, $"groups/{OpsGroup}/members", "renewed", "sub-ops", new DateTimeOffset(2026, 7, 29, 0, 0, 0, TimeSpan.Zero))]);
        var enforcer = new Enforcer(new EnforcerSetup
        {
            Store = store, Aws = new IdentityCenterPorts(aws, aws, aws, aws), Mappings = mappings, Fences = engine.Fences, Settings = engine.Enforcer, Time = clock, Pim = pim,
        });
        var components = new ComposedEngine(enforcer, store, subscriptions)
        {
            GroupChanges = membershipDelta is null ? null : new Core.Polling.GroupChangeFeed(store, membershipDelta, clock),
        };

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{PimBridgeHostOptions.Section}:SharedSecret:Secret"] = SharedSecret,
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddSingleton<TimeProvider>(clock);
        services.AddSingleton<ISigningKeySource>(new StaticSigningKeySource([]));
        FunctionsComposition.AddPimBridge(services, configuration, (_, _) => Task.FromResult(components));
        return new FunctionsHarness(services.BuildServiceProvider(validateScopes: true), store, clock, aws, pim, subscriptions);
    }

    /// <summary>A function class as the worker creates it: its dependencies from the container.</summary>
    public T Function<T>() => ActivatorUtilities.CreateInstance<T>(_services);

    /// <summary>Calls the HTTP function with a request as the Functions host forwards it, and executes its result.</summary>
    public async Task<(int Status, IHeaderDictionary Headers, JsonNode? Body)> CallGraphEventsAsync(
        string method, string? body = null, IDictionary<string, string>? headers = null, string contentType = "application/cloudevents+json; charset=utf-8")
    {
        var context = new DefaultHttpContext { RequestServices = _services };
        context.Request.Method = method;
        context.Request.Path = "/api/" + GraphEventsFunction.Route;
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) context.Request.Headers[name] = value;
        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Request.ContentType = contentType;
            context.Request.ContentLength = bytes.Length;
            context.Request.Body = new MemoryStream(bytes);
        }

        var response = new MemoryStream();
        context.Response.Body = response;
        var result = await Function<GraphEventsFunction>().RunAsync(context.Request);
        await result.ExecuteAsync(context);
        var text = Encoding.UTF8.GetString(response.ToArray());
        return (context.Response.StatusCode, context.Response.Headers, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    public async Task<IReadOnlyList<Intent>> HintsAsync(string group) => await Store.GetPendingIntentsAsync(IntentKind.ReconcileGroup, group);

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _store.DisposeAsync();
    }
}
