using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Amazon.Runtime;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Composition;
using PimBridge.Core.Configuration;
using PimBridge.Entra;
using PimBridge.Sandbox.Graph;
using PimBridge.Sandbox.Scenarios;

namespace PimBridge.Sandbox;

/// <summary>
/// The world <c>pimbridge sandbox --serve</c> keeps running for a person to explore: moto_server with a scenario's
/// Identity Center seeded, the Graph stub on its own with the scenario's users and PIM groups (and one user who exists
/// only in Entra), the PIM control surface on the stub (<see cref="PimControl"/>), and a <c>pimbridge.json</c> that
/// points a PimBridge host at them: the stub as Graph (<c>Entra.Mode</c> LocalGraph) and one mapping per group. The
/// host's AWS endpoint is <see cref="MotoEndpoint"/> and its AWS credentials <see cref="AwsCredentials"/>. Disposing
/// stops exactly what was started, however far starting got: the activation timers, the stub, and moto_server's process.
/// </summary>
public sealed class LocalWorld : IAsyncDisposable
{
    public const string Region = "us-east-1";

    /// <summary>The user who is in Entra but not in Identity Center: activating her raises an unmapped-user alert.</summary>
    public const string EntraOnlyUser = "carol";

    /// <summary>What moto accepts; nothing reaches AWS.</summary>
    public static readonly AWSCredentials AwsCredentials = new BasicAWSCredentials("sandbox", "sandbox");

    /// <summary>The configuration file as a user writes it: unset settings left out, so their defaults apply.</summary>
    private static readonly JsonSerializerOptions ConfigFileJson = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true };

    private MotoServer? _moto;
    private GraphStub? _graph;
    private PimControl? _control;

    private LocalWorld(string folder) => Folder = folder;

    /// <summary>The folder holding <see cref="ConfigFile"/> and, once a host runs, <see cref="StatePath"/>.</summary>
    public string Folder { get; }

    /// <summary>The engine configuration pointing at this world.</summary>
    public string ConfigFile => Path.Combine(Folder, "pimbridge.json");

    /// <summary>Where the host keeps its SQLite state.</summary>
    public string StatePath => Path.Combine(Folder, "state.db");

    public Uri MotoEndpoint => _moto!.Endpoint;

    /// <summary>The stub's Graph base URL, http://127.0.0.1:{port}/v1.0.</summary>
    public string GraphBaseUrl => _graph!.BaseUrl;

    public PimControl Control => _control!;

    /// <summary>The secret Graph notifications carry (<c>Entra.Subscriptions.ClientState</c>); random for each world.</summary>
    public string ClientState { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();

    public SeededIdentityCenter Seeded { get; private set; } = null!;

    /// <summary>The Entra users, the scenario's (in Identity Center too) and <see cref="EntraOnlyUser"/>.</summary>
    public IReadOnlyList<PimUser> Users { get; private set; } = [];

    /// <summary>The PIM groups, one mapping each.</summary>
    public IReadOnlyList<PimGroup> Groups { get; private set; } = [];

    /// <summary>Starts moto_server and the stub, seeds them with <paramref name="scenario"/>'s users, groups and permission sets (its timeline is not played), and writes the configuration into <paramref name="folder"/>.</summary>
    /// <exception cref="SandboxPrerequisiteException">moto_server is missing or would not start.</exception>
    public static async Task<LocalWorld> StartAsync(Scenario scenario, string folder, TimeSpan motoStartTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var world = new LocalWorld(folder);
        try
        {
            await world.StartEmulatorsAsync(motoStartTimeout, cancellationToken).ConfigureAwait(false);
            await world.SeedAsync(scenario, cancellationToken).ConfigureAwait(false);
            await world.WriteConfigurationAsync(scenario, cancellationToken).ConfigureAwait(false);
            return world;
        }
        catch
        {
            await world.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartEmulatorsAsync(TimeSpan motoStartTimeout, CancellationToken cancellationToken)
    {
        var graph = GraphStub.StartAsync();
        try
        {
            _moto = await MotoServer.StartAsync(motoStartTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            throw new SandboxPrerequisiteException(e.Message, e);
        }
        finally
        {
            _graph = await graph.ConfigureAwait(false);
        }
    }

    private async Task SeedAsync(Scenario scenario, CancellationToken cancellationToken)
    {
        using (var ssoAdmin = new SsoAdminClient(new SsoAdminClientOptions { Region = Region, Endpoint = _moto!.Endpoint, Credentials = AwsCredentials, RequestsPerSecond = 200 }))
        using (var identityStore = new IdentityStoreClient(new IdentityStoreClientOptions { Region = Region, Endpoint = _moto.Endpoint, Credentials = AwsCredentials, RequestsPerSecond = 200 }))
            Seeded = await new IdentityCenterSeed(ssoAdmin, identityStore).SeedAsync(scenario, cancellationToken).ConfigureAwait(false);

        var tenant = new PimTenant(_graph!);
        var users = scenario.Users.Select(u => new PimUser(u.Name, u.UserName, Guid.NewGuid().ToString())).ToList();
        if (users.All(u => u.Name != EntraOnlyUser))
            users.Add(new PimUser(EntraOnlyUser, $"{EntraOnlyUser}@example.com", Guid.NewGuid().ToString()));
        foreach (var user in users)
            tenant.AddUser(user.EntraId, user.UserPrincipalName, user.UserPrincipalName);
        var groups = scenario.Groups.Select(g => new PimGroup(g.Name, Guid.NewGuid().ToString(), Reaches(g))).ToList();
        foreach (var group in groups)
            tenant.AddGroup(group.EntraGroupId);

        Users = users;
        Groups = groups;
        _control = new PimControl(_graph!, tenant, users, groups);
    }

    /// <summary>The engine file: Identity Center on moto, a mapping per group, and the stub as a local Graph.</summary>
    private async Task WriteConfigurationAsync(Scenario scenario, CancellationToken cancellationToken)
    {
        var options = new PimBridgeOptions
        {
            IdentityCenter = new() { InstanceArn = Seeded.InstanceArn, IdentityStoreId = Seeded.IdentityStoreId, Region = Region },
            Mappings = [.. scenario.Groups.Select(g => new MappingOptions
            {
                Name = g.Name,
                EntraGroupId = Groups.Single(p => p.Name == g.Name).EntraGroupId,
                FenceSessions = g.FenceSessions,
                AccountAssignments = g.PermissionSet is { } ps ? new() { PermissionSet = ps, Accounts = [.. g.Accounts] } : null,
                IdentityCenterGroup = g.IdentityCenterGroup is { } ic ? new() { DisplayName = ic } : null,
            })],
        };
        var file = JsonSerializer.SerializeToNode(options, ConfigFileJson)!.AsObject();
        file[CompositionSettings.EntraSection] = new JsonObject
        {
            [nameof(EntraOptions.Mode)] = nameof(EntraCredentialMode.LocalGraph),
            [nameof(EntraOptions.GraphBaseUrl)] = GraphBaseUrl,
            // No subscription is ever created here: the partner topic settings are placeholders that pass validation.
            // ClientState is real: the webhook checks every Graph notification against it.
            [nameof(EntraOptions.Subscriptions)] = new JsonObject
            {
                [nameof(EntraSubscriptionOptions.AzureSubscriptionId)] = "00000000-0000-0000-0000-000000000000",
                [nameof(EntraSubscriptionOptions.ResourceGroup)] = "pimbridge-sandbox",
                [nameof(EntraSubscriptionOptions.PartnerTopic)] = "pimbridge-sandbox",
                [nameof(EntraSubscriptionOptions.Location)] = "westeurope",
                [nameof(EntraSubscriptionOptions.ClientState)] = ClientState,
            },
        };
        await File.WriteAllTextAsync(ConfigFile, file.ToJsonString(ConfigFileJson), cancellationToken).ConfigureAwait(false);
    }

    private static string Reaches(ScenarioGroup group)
    {
        var access = string.Join("; ", group.Reach.Select(r => $"{r.PermissionSet} in {string.Join(", ", r.Accounts)}"));
        return group.IdentityCenterGroup is { } ic ? $"member of {ic} ({access})" : access;
    }

    public async ValueTask DisposeAsync()
    {
        _control?.Dispose();
        if (_graph is not null) await _graph.DisposeAsync().ConfigureAwait(false);
        if (_moto is not null) await _moto.DisposeAsync().ConfigureAwait(false);
    }
}
