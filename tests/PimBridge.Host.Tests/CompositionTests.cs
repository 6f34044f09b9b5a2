using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PimBridge.Composition;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Ports;
using PimBridge.Entra;
using PimBridge.Store.Sqlite;
using PimBridge.Testing;
using PimBridge.Testing.Graph;
using static PimBridge.Host.Tests.HostHarness;

namespace PimBridge.Host.Tests;

/// <summary>The host's composition from configuration (<see cref="ComposedEngine.ComposeAsync"/>).</summary>
public sealed class CompositionTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pimbridge-host-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>What a host ships that keeps its state in SQLite and reads PIM.</summary>
    private static readonly ComposedEngineInputs Shipped = new() { Stores = [new SqliteStoreFactory()], Entra = new EntraPart() };

    /// <summary>An engine file with one mapping and no Entra section.</summary>
    private async Task<string> WriteConfigAsync(string name)
    {
        var config = Path.Combine(_folder, name);
        await File.WriteAllTextAsync(config, $$"""
            {
              "IdentityCenter": { "InstanceArn": "arn:aws:sso:::instance/ssoins-0123456789abcdef", "IdentityStoreId": "d-1234567890", "Region": "eu-west-1" },
              "Mappings": [ { "Name": "ops-admin", "EntraGroupId": "{{OpsGroup}}", "AccountAssignments": { "PermissionSet": "{{Admin}}", "Accounts": [ "{{Prod}}" ] } } ]
            }
            """);
        return config;
    }

    private static async Task<string> ReadinessAsync(HostHarness h)
    {
        var ready = await h.Client.GetAsync("/readyz");
        var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
        return ready.StatusCode == HttpStatusCode.OK ? "ready" : body["reason"]!.GetValue<string>();
    }

    [Fact]
    public async Task Without_an_Entra_section_the_host_names_the_Entra_settings_to_add()
    {
        var config = await WriteConfigAsync("no-entra.json");
        await using var h = await StartAsync(inputs: Shipped, configure: web =>
            web.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["PimBridge:ConfigFile"] = config }));

        var reason = await ReadinessAsync(h);

        Assert.StartsWith("PimBridge is not configured:", reason);
        Assert.Contains("Entra.", reason);
    }

    [Fact]
    public async Task A_host_that_does_not_read_PIM_composes_without_an_Entra_section_and_keeps_no_subscriptions()
    {
        var config = await WriteConfigAsync("watcher.json");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PimBridge:ConfigFile"] = config,
            ["PimBridge:SqlitePath"] = Path.Combine(_folder, "watcher.db"),
        }).Build();

        var parts = await ComposedEngine.ComposeAsync(configuration, TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, Shipped with { Entra = null });
        try
        {
            Assert.Null(parts.Subscriptions);
            Assert.Contains("composed without Graph", Assert.Throws<ComponentsUnavailableException>(() => parts.RequireSubscriptions()).Message);
            Assert.True(await parts.Enforcer.HintAsync(OpsGroup)); // queued for the host that reads PIM
            Assert.True((await parts.Enforcer.TickAsync()).DidNothing); // and left there
            Assert.Single(await parts.Store.GetPendingIntentsAsync(IntentKind.ReconcileGroup, OpsGroup));
            await Assert.ThrowsAsync<InvalidOperationException>(() => parts.Enforcer.ReconcileGroupsAsync([OpsGroup]));
        }
        finally
        {
            await parts.Resources!.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_Entra_part_gives_the_poll_Graphs_membership_delta_only_with_its_own_PIM_source()
    {
        var config = Path.Combine(_folder, "entra.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "IdentityCenter": { "InstanceArn": "arn:aws:sso:::instance/ssoins-0123456789abcdef", "IdentityStoreId": "d-1234567890", "Region": "eu-west-1" },
              "Mappings": [ { "Name": "ops-admin", "EntraGroupId": "{{OpsGroup}}", "AccountAssignments": { "PermissionSet": "{{Admin}}", "Accounts": [ "{{Prod}}" ] } } ],
              "Entra": {
                "Mode": "ManagedIdentity", "GraphBaseUrl": "http://127.0.0.1:9/v1.0",
                "Subscriptions": { "AzureSubscriptionId": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", "ResourceGroup": "pimbridge", "PartnerTopic": "pimbridge-graph", "Location": "westeurope", "ClientState": "host-tests-client-state-0123456789" }
              }
            }
            """);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PimBridge:ConfigFile"] = config,
            ["PimBridge:SqlitePath"] = Path.Combine(_folder, "entra.db"),
        }).Build();
        var loggers = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;

        var graph = await ComposedEngine.ComposeAsync(configuration, TimeProvider.System, loggers, Shipped);
        var otherPim = await ComposedEngine.ComposeAsync(configuration, TimeProvider.System, loggers, Shipped with { Pim = new FakePim(TimeProvider.System) });
        try
        {
            Assert.NotNull(graph.GroupChanges);
            Assert.Null(otherPim.GroupChanges); // a delta of the tenant says nothing about another PIM source
        }
        finally
        {
            await graph.Resources!.DisposeAsync();
            await otherPim.Resources!.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_configuration_JSON_in_PIMBRIDGE_CONFIG_JSON_is_used_instead_of_a_file()
    {
        var json = await File.ReadAllTextAsync(await WriteConfigAsync("from-variable.json"));
        await using var h = await StartAsync(inputs: Shipped, configure: web =>
        {
            web.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [CompositionSettings.ConfigJsonKey] = json,
                ["PimBridge:ConfigFile"] = Path.Combine(_folder, "absent.json"), // the variable wins
                ["PimBridge:SqlitePath"] = Path.Combine(_folder, "state.db"),
            });
            web.Services.AddSingleton<IPimSource>(new FakePim(TimeProvider.System)).AddSingleton<IGraphSubscriptions>(HostHarness.NewSubscriptions());
        });

        Assert.Equal("ready", await ReadinessAsync(h));
    }

    [Fact]
    public async Task A_missing_configuration_file_is_named()
    {
        var missing = Path.Combine(_folder, "absent.json");
        await using var h = await StartAsync(inputs: Shipped, configure: web =>
        {
            web.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["PimBridge:ConfigFile"] = missing });
            web.Services.AddSingleton<IPimSource>(new FakePim(TimeProvider.System)).AddSingleton<IGraphSubscriptions>(HostHarness.NewSubscriptions());
        });

        Assert.StartsWith($"PimBridge is not configured: The PimBridge configuration is not valid:\n- {missing}: the configuration file does not exist", await ReadinessAsync(h));
    }

    [Fact]
    public async Task A_configuration_file_and_a_SQLite_path_compose_a_ready_host()
    {
        var config = await WriteConfigAsync("pimbridge.json");
        await using var h = await StartAsync(inputs: Shipped, configure: web =>
        {
            web.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["PimBridge:ConfigFile"] = config,
                ["PimBridge:SqlitePath"] = Path.Combine(_folder, "state.db"),
            });
            web.Services.AddSingleton<IPimSource>(new FakePim(TimeProvider.System)).AddSingleton<IGraphSubscriptions>(HostHarness.NewSubscriptions());
        });

        Assert.Equal("ready", await ReadinessAsync(h));
        Assert.True(File.Exists(Path.Combine(_folder, "state.db")));
        Assert.Equal(HttpStatusCode.OK, (await h.DeliverAsync(Payloads.GroupUpdatedCloudEvent(OpsGroup))).StatusCode);
    }

    [Theory]
    [InlineData("dynamodb")]
    [InlineData("postgres")]
    public async Task A_store_this_host_does_not_ship_is_refused_naming_the_stores_it_has(string store)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PimBridge:ConfigFile"] = await WriteConfigAsync("store.json"),
            ["PimBridge:Store"] = store,
        }).Build();

        var error = await Assert.ThrowsAsync<PimBridge.Core.Configuration.ConfigurationException>(() => ComposedEngine.ComposeAsync(configuration, TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, Shipped with { Entra = null }));

        Assert.Equal([$"PimBridge:Store: '{store}' is not a store this host has; use sqlite."], error.Problems);
    }
}
