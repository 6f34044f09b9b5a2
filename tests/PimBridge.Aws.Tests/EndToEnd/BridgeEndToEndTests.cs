using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PimBridge.Aws.IdentityCenter;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Aws.Tests.Integration;
using PimBridge.Composition;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Ports;
using PimBridge.Entra;
using PimBridge.Host;
using PimBridge.Host.Worker;
using PimBridge.Store.Sqlite;
using PimBridge.Testing.Graph;

namespace PimBridge.Aws.Tests.EndToEnd;

/// <summary>
/// The whole bridge: PIM (the real Graph SDK against a loopback Graph stub) → an Event Grid delivery to the real host
/// → a durable hint → the real engine → the real Identity Center adapter → moto. And the poll alone, with no event.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class BridgeEndToEndTests(MotoFixture moto) : IAsyncLifetime
{
    private const string Group = "5b1a9c3e-7d2f-4e8a-9b6c-1f0e2d3c4b5a";
    private const string SharedSecret = "e2e-shared-secret-0123456789";
    private readonly string _folder = Directory.CreateTempSubdirectory("pimbridge-e2e-").FullName;
    private readonly string _entraUser = Guid.NewGuid().ToString();
    private readonly string _upn = MotoSeed.Unique("bridge") + "@contoso.com";
    private GraphStub _graph = null!;
    private PimTenant _tenant = null!;
    private SqliteStateStore _store = null!;
    private WebApplication _host = null!;
    private HttpClient _client = null!;
    private AccountAssignmentRequest _assignment = null!;

    public async Task InitializeAsync()
    {
        _graph = await GraphStub.StartAsync();
        _tenant = new PimTenant(_graph).AddGroup(Group).AddUser(_entraUser, _upn);

        var seed = new MotoSeed(moto);
        var userId = await seed.CreateUserAsync(_upn);
        var permissionSet = await seed.CreatePermissionSetAsync(MotoSeed.Unique("bridge-ps"));
        var instance = await seed.InstanceAsync();
        _assignment = new AccountAssignmentRequest
        {
            InstanceArn = instance.InstanceArn!, TargetId = MotoSeed.AccountId, PermissionSetArn = permissionSet,
            PrincipalType = PrincipalTypes.User, PrincipalId = userId,
        };

        var settings = PimBridgeConfiguration.Validate(new PimBridgeOptions
        {
            IdentityCenter = new() { InstanceArn = instance.InstanceArn!, IdentityStoreId = instance.IdentityStoreId!, Region = MotoFixture.Region },
            Mappings = [new() { Name = "bridge", EntraGroupId = Group, AccountAssignments = new() { PermissionSet = permissionSet, Accounts = [MotoSeed.AccountId] } }],
        });
        var adapters = IdentityCenterAdapters.Create(moto.SsoAdmin, moto.IdentityStore, IdentityCenterAdapterOptions.From(settings.IdentityCenter));
        var users = new IdentityStoreUserMapping(moto.IdentityStore, instance.IdentityStoreId!);
        var mappings = await ResolvedMapping.ResolveAsync(settings.Mappings, adapters.Directory);
        _store = await SqliteStateStore.OpenAsync(Path.Combine(_folder, "state.db"));
        var enforcer = new Enforcer(new EnforcerSetup
        {
            Store = _store, Aws = new IdentityCenterPorts(adapters.Entitlements, adapters.Policies, adapters.Directory, users),
            Mappings = mappings, Fences = settings.Fences, Settings = settings.Enforcer, Time = TimeProvider.System,
            Pim = new GraphPimSource(StubCredential.ClientFor(_graph), Microsoft.Extensions.Logging.Abstractions.NullLogger<GraphPimSource>.Instance),
        });
        var engine = new ComposedEngine(enforcer, _store, new NoSubscriptions());

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PimBridge:Host:SharedSecret:Secret"] = SharedSecret,
            ["PimBridge:Host:Worker:Enabled"] = "false", // the test drives the worker's steps
        });
        _host = PimBridgeHost.Build(builder, engine);
        await _host.StartAsync();
        _client = _host.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_host is not null)
        {
            await _host.StopAsync();
            await _host.DisposeAsync();
        }
        if (_store is not null) await _store.DisposeAsync();
        if (_graph is not null) await _graph.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task An_activation_announced_by_an_event_becomes_an_assignment_in_AWS_and_its_deactivation_removes_it()
    {
        var now = DateTimeOffset.UtcNow;
        _tenant.AddInstance(GraphJson.Instance("instance-1", _entraUser, Group, start: Iso(now.AddMinutes(-1)), end: Iso(now.AddHours(1))));

        Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(Payloads.GroupUpdatedCloudEvent(Group, id: Guid.NewGuid().ToString()))).StatusCode);
        await WorkUntilAsync(AssignedAsync);

        Assert.True(await AssignedAsync());
        var grant = Assert.Single(await _store.ListGrantsAsync(activeOnly: true, _upn));
        Assert.NotNull(grant.FirstSeenAt);
        Assert.NotNull(grant.AccessConfirmedAt);

        _tenant.RemoveInstance("instance-1");
        Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(Payloads.GroupUpdatedCloudEvent(Group, id: Guid.NewGuid().ToString()))).StatusCode);
        await WorkUntilAsync(async () => !await AssignedAsync());

        Assert.False(await AssignedAsync());
        Assert.Equal(EndReasons.Deactivated, Assert.Single(await _store.ListGrantsAsync(activeOnly: false, _upn)).EndReason);
        Assert.Null(await AuditChain.VerifyAsync(_store.ReadAuditAsync()));
    }

    [Fact]
    public async Task The_poll_alone_converges_when_no_event_arrives()
    {
        var now = DateTimeOffset.UtcNow;
        _tenant.AddInstance(GraphJson.Instance("instance-2", _entraUser, Group, start: Iso(now.AddMinutes(-1)), end: Iso(now.AddHours(1))));
        var worker = _host.Services.GetRequiredService<EnforcementWorker>();

        await worker.PollFromTimerAsync(TimeSpan.FromMinutes(1));
        await WorkUntilAsync(AssignedAsync);

        Assert.True(await AssignedAsync());
        Assert.Empty(_graph.Received("POST", ".*")); // nothing but reads reached Graph
    }

    private async Task<HttpResponseMessage> DeliverAsync(string cloudEvent)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new StringContent(cloudEvent, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/cloudevents+json; charset=utf-8");
        request.Headers.Add("X-PimBridge-Secret", SharedSecret);
        return await _client.SendAsync(request);
    }

    /// <summary>Runs the worker's steps (hint → read PIM → grant → apply) until the condition holds, a bounded number of times.</summary>
    private async Task WorkUntilAsync(Func<Task<bool>> done)
    {
        var worker = _host.Services.GetRequiredService<EnforcementWorker>();
        for (var step = 0; step < 10 && !await done(); step++)
            await worker.RunOnceAsync();
    }

    private async Task<bool> AssignedAsync()
    {
        await foreach (var a in moto.SsoAdmin.ListAccountAssignmentsAsync(new ListAccountAssignmentsRequest
        {
            InstanceArn = _assignment.InstanceArn, AccountId = _assignment.TargetId, PermissionSetArn = _assignment.PermissionSetArn,
        }))
        {
            if (a.PrincipalId == _assignment.PrincipalId) return true;
        }

        return false;
    }

    private static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private sealed class NoSubscriptions : IGraphSubscriptions
    {
        public string? ClientState => Payloads.DefaultClientState;

        public Task<SubscriptionReport> EnsureAsync(CancellationToken cancellationToken = default) => Task.FromResult(new SubscriptionReport([]));

        public Task<SubscriptionAction> ReauthorizeAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
            Task.FromResult(new SubscriptionAction("", "", "unchanged", subscriptionId, null));
    }
}
