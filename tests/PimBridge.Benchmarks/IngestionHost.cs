using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PimBridge.Composition;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Ports;
using PimBridge.Entra;
using PimBridge.Host;
using PimBridge.Store.Sqlite;
using PimBridge.Testing;

namespace PimBridge.Benchmarks;

/// <summary>
/// The real host (its entry point, through WebApplicationFactory) as a deployment runs it, minus the worker: a real
/// Enforcer over a SQLite file in a temporary folder, deliveries authenticated by the shared-secret header. AWS is the
/// simulated Identity Center and PIM answers with no activations: ingestion touches neither, it only records hints.
/// The system clock throughout, as in production.
/// </summary>
public sealed class IngestionHost : IAsyncDisposable
{
    public const string ClientState = "client-state-secret-0123456789";
    public const string SharedSecret = "shared-secret-abcdefghijklmnop";
    public const string SecretHeader = "X-PimBridge-Secret";
    public const string TenantId = "8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e";
    private const string PermissionSet = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef";

    private readonly WebApplication _app;
    private readonly SqliteStateStore _store;
    private readonly string _directory;

    private IngestionHost(WebApplication app, SqliteStateStore store, string directory, Enforcer enforcer, IReadOnlyList<string> groups)
    {
        _app = app;
        _store = store;
        _directory = directory;
        Enforcer = enforcer;
        Groups = groups;
        Client = app.GetTestClient();
    }

    public Enforcer Enforcer { get; }
    public IStateStore Store => _store;
    public HttpClient Client { get; }

    /// <summary>The mapped Entra groups (lower-case object ids).</summary>
    public IReadOnlyList<string> Groups { get; }

    /// <summary>Starts the host with <paramref name="mappedGroups"/> mapped Entra groups, each to one permission set in one account.</summary>
    public static async Task<IngestionHost> StartAsync(int mappedGroups)
    {
        var groups = Enumerable.Range(0, mappedGroups).Select(GroupId).ToList();
        var aws = new SimulatedIdentityCenter();
        var mappings = groups.Select((g, i) => new ResolvedMapping(
            new MappingRule($"group-{i:D5}", g, PimAccess.Member, null, PermissionSet, ["111111111111"], null, false, true), null, PermissionSet)).ToList();
        var directory = Path.Combine(Path.GetTempPath(), "pimbridge-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var store = await SqliteStateStore.OpenAsync(Path.Combine(directory, "state.db"));
        var enforcer = new Enforcer(new EnforcerSetup
        {
            Store = store, Aws = new IdentityCenterPorts(aws, aws, aws, aws), Mappings = mappings, Time = TimeProvider.System, Pim = new NoActivations(),
        });
        var engine = new ComposedEngine(enforcer, store, new NoSubscriptions());

        var settings = new Dictionary<string, string?>
        {
            [$"{PimBridgeHostOptions.Section}:SharedSecret:Secret"] = SharedSecret,
            [$"{PimBridgeHostOptions.Section}:Worker:Enabled"] = "false",
            // A deployment logs at Information; per-request and per-event lines are Debug, so this keeps warnings (rejections) only.
            ["Logging:LogLevel:Default"] = "Warning",
        };
        // The content root is the output folder (the host's appsettings.json is copied there), as for a deployed host:
        // `dotnet run` does not make it the working directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(settings);
        var app = PimBridgeHost.Build(builder, engine);
        try
        {
            await app.StartAsync();
            return new IngestionHost(app, store, directory, enforcer, groups);
        }
        catch
        {
            await app.DisposeAsync();
            await store.DisposeAsync();
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    public static string GroupId(int index) => $"{index:x8}-0000-4000-8000-000000000000";

    /// <summary>POSTs a CloudEvents batch to the events endpoint with the shared-secret header; fails unless answered 200.</summary>
    public async Task<string> DeliverAsync(byte[] batch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new ByteArrayContent(batch) };
        request.Content.Headers.ContentType = BatchContentType;
        request.Headers.Add(SecretHeader, SharedSecret);
        using var response = await Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != System.Net.HttpStatusCode.OK)
            throw new InvalidOperationException($"The endpoint answered {(int)response.StatusCode}: {body}");
        return body;
    }

    private static readonly MediaTypeHeaderValue BatchContentType = MediaTypeHeaderValue.Parse("application/cloudevents-batch+json; charset=utf-8");

    /// <summary>
    /// A CloudEvents batch (structured mode, a JSON array) of Microsoft.Graph.GroupUpdated events as Graph delivers them
    /// through Event Grid (the documented payload, §5.6), event i about <c>groups[i % groups.Count]</c>, ids distinct.
    /// </summary>
    public static byte[] Batch(string idPrefix, int events, IReadOnlyList<string> groups)
    {
        var json = new StringBuilder(events * 1300);
        json.Append('[');
        for (var i = 0; i < events; i++)
        {
            if (i > 0) json.Append(',');
            json.Append(GroupUpdated($"{idPrefix}-{i:D4}", groups[i % groups.Count]));
        }

        json.Append(']');
        return Encoding.UTF8.GetBytes(json.ToString());
    }

    private static string GroupUpdated(string id, string groupId) => $$"""
        {
          "id": "{{id}}",
          "type": "Microsoft.Graph.GroupUpdated",
          "source": "/tenants/{{TenantId}}/applications/4962773b-9cdb-44cf-a8bf-237846a00ab7",
          "subject": "Groups/{{groupId}}",
          "time": "2026-07-01T09:00:00.0000000Z",
          "datacontenttype": "application/json",
          "specversion": "1.0",
          "data": {
            "changeType": "updated",
            "clientState": "{{ClientState}}",
            "resource": "Groups/{{groupId}}",
            "resourceData": {
              "@odata.type": "#Microsoft.Graph.Group",
              "@odata.id": "Groups/{{groupId}}",
              "id": "{{groupId}}",
              "organizationId": "{{TenantId}}",
              "eventTime": "2026-07-01T09:00:00.0000000Z",
              "sequenceNumber": 638000000000000000
            },
            "subscriptionExpirationDateTime": "2026-07-02T09:00:00.0000000+00:00",
            "subscriptionId": "c2a1e6a4-5d2c-4c8a-9c43-0f1b5c1e8a11",
            "tenantId": "{{TenantId}}"
          }
        }
        """;

    /// <summary>
    /// Marks every due hint done in one commit, as the worker's reconcile would (without the PIM reads), so the next
    /// deliveries write new hints rather than finding them queued. Returns how many there were.
    /// </summary>
    public async Task<int> CompletePendingHintsAsync()
    {
        var now = DateTimeOffset.UtcNow;
        var due = await PendingHintsAsync();
        var change = new StateChange();
        foreach (var intent in due)
            change.Intents.Add(intent with { State = IntentState.Done, CompletedAt = now });
        if (!change.IsEmpty) await _store.CommitAsync(change);
        return change.Intents.Count;
    }

    /// <summary>Every due "reconcile group" hint.</summary>
    public async Task<IReadOnlyList<Intent>> PendingHintsAsync() =>
        (await _store.GetDueIntentsAsync(DateTimeOffset.UtcNow.AddSeconds(1), int.MaxValue)).Where(i => i.Kind == IntentKind.ReconcileGroup).ToList();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private sealed class NoActivations : IPimSource
    {
        public Task<PimSnapshot> GetSnapshotAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken = default) =>
            Task.FromResult(new PimSnapshot(groupIds, []));

        public Task<ActivationRequest?> GetActivationRequestAsync(Activation activation, CancellationToken cancellationToken = default) =>
            Task.FromResult<ActivationRequest?>(null);
    }

    private sealed class NoSubscriptions : IGraphSubscriptions
    {
        public string? ClientState => IngestionHost.ClientState;

        public Task<SubscriptionReport> EnsureAsync(CancellationToken cancellationToken = default) => Task.FromResult(new SubscriptionReport([]));

        public Task<SubscriptionAction> ReauthorizeAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
            Task.FromResult(new SubscriptionAction("", "", "reauthorized", subscriptionId, null));
    }
}
