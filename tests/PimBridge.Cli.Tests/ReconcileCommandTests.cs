using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Cli.Commands;
using PimBridge.Core.Domain;
using PimBridge.Store.DynamoDb;
using PimBridge.Store.Sqlite;

namespace PimBridge.Cli.Tests;

/// <summary>
/// <c>reconcile</c> in-process over the real engine: PIM through the real Graph SDK against the loopback Graph stub,
/// Identity Center on a real moto_server, and a real SQLite state file.
/// </summary>
[Collection(EngineCommandCollection.Name)]
public sealed class ReconcileCommandTests(EngineCommandWorld world) : IAsyncLifetime
{
    private EngineScenario _scenario = null!;

    public async Task InitializeAsync() => _scenario = await EngineScenario.CreateAsync(world);

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    [Fact]
    public async Task A_dry_run_shows_the_new_grant_and_changes_nothing()
    {
        _scenario.Activate("activation-1");

        var run = await _scenario.RunAsync("reconcile", "--dry-run");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains("Would make 1 change for 1 group (dry run: nothing was written)", run.Output);
        var row = Assert.Single(run.Output.Split('\n'), l => l.Contains(_scenario.Upn, StringComparison.Ordinal));
        Assert.Contains("new grant", row);
        Assert.Contains(_scenario.Mapping, row);
        Assert.DoesNotContain("access-confirmed", run.Output);

        await using var store = await _scenario.OpenStoreAsync();
        Assert.Empty(await store.ListGrantsAsync(activeOnly: false, user: null));
        Assert.Null(await store.GetAuditHeadAsync());
        Assert.False(await _scenario.AssignedAsync());
    }

    [Fact]
    public async Task Reconcile_grants_the_activation_in_AWS_and_a_second_run_finds_nothing_to_change()
    {
        _scenario.Activate("activation-1");

        var run = await _scenario.RunAsync("reconcile");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains("Made 1 change for 1 group:", run.Output);
        var row = Assert.Single(run.Output.Split('\n'), l => l.Contains(_scenario.Upn, StringComparison.Ordinal));
        Assert.Contains("new grant", row);
        Assert.Contains("access-confirmed", row);
        Assert.True(await _scenario.AssignedAsync());
        await using (var store = await _scenario.OpenStoreAsync())
        {
            var grant = Assert.Single(await store.ListGrantsAsync(activeOnly: true, _scenario.Upn));
            Assert.Equal(_scenario.UserId, grant.User.UserId);
            Assert.NotNull(grant.AccessConfirmedAt);
        }

        var again = await _scenario.RunAsync("reconcile");
        Assert.True(again.ExitCode == ExitCodes.Success, again.ToString());
        Assert.Contains("Nothing to change: AWS matches PIM for 1 group.", again.Output);
    }

    [Fact]
    public async Task A_deactivated_activation_is_stopped_and_its_assignment_removed()
    {
        _scenario.Activate("activation-1");
        Assert.Equal(ExitCodes.Success, (await _scenario.RunAsync("reconcile")).ExitCode);
        world.Tenant.RemoveInstance(_scenario.InstanceId("activation-1"));

        var run = await _scenario.RunAsync("reconcile", "--json");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        var document = JsonNode.Parse(run.Output)!;
        var stop = Assert.Single(document["stops"]!.AsArray())!;
        Assert.Equal(EndReasons.Deactivated, stop["reason"]!.GetValue<string>());
        Assert.Equal("access-removed", stop["status"]!.GetValue<string>());
        Assert.Equal(_scenario.Upn, stop["user"]!.GetValue<string>());
        Assert.Empty(document["newGrants"]!.AsArray());
        Assert.False(await _scenario.AssignedAsync());
    }

    [Fact]
    public async Task The_json_forms_say_what_would_be_made_and_what_was_made()
    {
        _scenario.Activate("activation-1");

        var dry = await _scenario.RunAsync("reconcile", "--dry-run", "--json");
        var made = await _scenario.RunAsync("reconcile", "--json", "--group", _scenario.Group.ToUpperInvariant());

        Assert.True(dry.ExitCode == ExitCodes.Success, dry.ToString());
        var wouldMake = JsonNode.Parse(dry.Output)!;
        Assert.True(wouldMake["dryRun"]!.GetValue<bool>());
        Assert.Equal(new[] { _scenario.Group }, wouldMake["groups"]!.AsArray().Select(g => g!.GetValue<string>()));
        var planned = Assert.Single(wouldMake["newGrants"]!.AsArray())!;
        Assert.Equal(_scenario.Upn, planned["user"]!.GetValue<string>());
        Assert.Equal(_scenario.UserId, planned["userId"]!.GetValue<string>());
        Assert.Equal("member", planned["access"]!.GetValue<string>());
        Assert.Null(planned["status"]);
        Assert.Null(wouldMake["applied"]);

        Assert.True(made.ExitCode == ExitCodes.Success, made.ToString());
        var document = JsonNode.Parse(made.Output)!;
        Assert.False(document["dryRun"]!.GetValue<bool>());
        var grant = Assert.Single(document["newGrants"]!.AsArray())!;
        Assert.Equal(planned["grant"]!.GetValue<string>(), grant["grant"]!.GetValue<string>()); // the id a dry run shows is the one made
        Assert.Equal("access-confirmed", grant["status"]!.GetValue<string>());
        Assert.NotNull(grant["accessConfirmedAt"]);
        Assert.Equal($"aa|{_scenario.UserId}|{_scenario.PermissionSetArn}|{EngineCommandWorld.Account}", Assert.Single(grant["entitlements"]!.AsArray())!.GetValue<string>());
        Assert.True(document["applied"]!["finished"]!.GetValue<bool>());
        Assert.True(document["applied"]!["stepsDone"]!.GetValue<int>() >= 1);
    }

    [Fact]
    public async Task A_standing_assignment_the_mapping_leaves_out_is_reported_with_its_fix_instead_of_nothing_to_change()
    {
        _scenario.AssignPermanently("standing-1");

        var run = await _scenario.RunAsync("reconcile", "--dry-run");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.DoesNotContain("Nothing to change", run.Output);
        Assert.Contains("PIM lists 1 standing assignment that no mapping counts", run.Output);
        var row = Assert.Single(run.Output.Split('\n'), l => l.Contains(_scenario.Upn, StringComparison.Ordinal));
        Assert.Contains("left out", row);
        Assert.Contains(_scenario.Mapping, row);
        Assert.Contains(_scenario.Group, row);
        Assert.Contains($"set \"IncludePermanent\": true on mapping '{_scenario.Mapping}'", run.Output);
        Assert.False(await _scenario.AssignedAsync());
    }

    [Fact]
    public async Task The_json_form_lists_what_was_left_out_with_the_user_the_mapping_why_and_the_fix()
    {
        _scenario.AssignPermanently("standing-1");

        var run = await _scenario.RunAsync("reconcile", "--json");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        var document = JsonNode.Parse(run.Output)!;
        Assert.Empty(document["newGrants"]!.AsArray());
        var left = Assert.Single(document["leftOut"]!.AsArray())!;
        Assert.Equal(_scenario.Mapping, left["mapping"]!.GetValue<string>());
        Assert.Equal(_scenario.EntraUserId, left["principal"]!.GetValue<string>());
        Assert.Equal(_scenario.Upn, left["userPrincipalName"]!.GetValue<string>());
        Assert.Equal(_scenario.Group, left["group"]!.GetValue<string>());
        Assert.Equal("member", left["access"]!.GetValue<string>());
        Assert.Equal("permanent-not-included", left["reason"]!.GetValue<string>());
        Assert.Contains($"IncludePermanent", left["fix"]!.GetValue<string>());
        Assert.Contains(_scenario.Mapping, left["fix"]!.GetValue<string>());
        Assert.False(await _scenario.AssignedAsync());
    }

    [Fact]
    public async Task A_group_no_mapping_watches_is_refused_with_the_mapped_ones()
    {
        var other = Guid.NewGuid().ToString();

        var run = await _scenario.RunAsync("reconcile", "--group", other);

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.Contains($"--group '{other}' is not in any mapping", run.Error);
        Assert.Contains(_scenario.Group, run.Error);
    }

    [Fact]
    public async Task A_DynamoDB_store_is_opened_as_the_host_opens_it_through_the_AWS_endpoint_in_Identity_Centers_Region()
    {
        // No --dynamodb-region: the table is in Identity Center's Region, reached at PimBridge:AwsEndpoint (moto), with
        // the environment's credentials, as serve and the deployed hosts open it.
        var table = $"pimbridge-cli-{Guid.NewGuid():N}"[..24];
        using var dynamoDb = new AmazonDynamoDBClient(world.Credentials,
            new AmazonDynamoDBConfig { ServiceURL = world.Moto.Endpoint.ToString(), AuthenticationRegion = EngineCommandWorld.Region });
        await DynamoDbStateStore.CreateTableAsync(dynamoDb, table);
        _scenario.Activate("activation-1");

        var run = await _scenario.RunWithoutStoreAsync("reconcile", "--dynamodb-table", table);

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains("Made 1 change for 1 group:", run.Output);
        Assert.True(await _scenario.AssignedAsync());
        var grant = Assert.Single(await new DynamoDbStateStore(dynamoDb, table).ListGrantsAsync(activeOnly: true, _scenario.Upn));
        Assert.Equal(_scenario.UserId, grant.User.UserId);
    }

    [Fact]
    public async Task A_dry_run_without_a_state_file_plans_against_an_empty_state_and_creates_nothing()
    {
        _scenario.Activate("activation-1");
        var missing = Path.Combine(_scenario.Folder, "first.db");

        var run = await _scenario.RunWithoutStoreAsync("reconcile", "--dry-run", "--store", missing);

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains("Would make 1 change for 1 group (dry run: nothing was written)", run.Output);
        Assert.Contains($"No PimBridge state file at '{missing}' yet", run.Error);
        Assert.Contains("`pimbridge reconcile` without --dry-run creates it", run.Error);
        Assert.False(File.Exists(missing));
        Assert.False(await _scenario.AssignedAsync());
    }

    [Fact]
    public async Task Reconcile_without_a_state_file_creates_it_says_so_and_grants()
    {
        _scenario.Activate("activation-1");
        var missing = Path.Combine(_scenario.Folder, "first.db");

        var run = await _scenario.RunWithoutStoreAsync("reconcile", "--store", missing);

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains($"Created the PimBridge state file '{missing}'", run.Error);
        Assert.Contains("Made 1 change for 1 group:", run.Output);
        Assert.True(File.Exists(missing));
        await using var store = await SqliteStateStore.OpenAsync(missing);
        Assert.Single(await store.ListGrantsAsync(activeOnly: true, _scenario.Upn));
        Assert.True(await _scenario.AssignedAsync());
    }

    [Fact]
    public async Task A_state_file_in_a_folder_that_does_not_exist_is_refused_before_anything_is_read()
    {
        _scenario.Activate("activation-1");
        var missing = Path.Combine(_scenario.Folder, "nowhere", "pimbridge.db");

        var run = await _scenario.RunWithoutStoreAsync("reconcile", "--store", missing);

        Assert.Equal(ExitCodes.BadInput, run.ExitCode);
        Assert.Contains($"The folder of the state file '{missing}' does not exist", run.Error);
        Assert.False(Directory.Exists(Path.GetDirectoryName(missing)));
        Assert.False(await _scenario.AssignedAsync());
    }
}

/// <summary>One moto_server and one Graph stub for the engine commands' tests (reconcile, revoke, doctor); each test brings its own names.</summary>
[CollectionDefinition(Name)]
public sealed class EngineCommandCollection : ICollectionFixture<EngineCommandWorld>
{
    public const string Name = "engine commands";
}

/// <summary>
/// A real moto_server with the Identity Center instance it creates, and the loopback Graph stub serving one PIM tenant.
/// What PimBridge only reads (users, permission sets) is created with the operations' raw JSON: moto checks no
/// signature, and the Authorization header's scope tells it the Region and service.
/// </summary>
public sealed class EngineCommandWorld : IAsyncLifetime
{
    public const string Region = "us-east-1";
    public const string Account = "111111111111";

    private readonly HttpClient _http = new();

    public MotoServer Moto { get; private set; } = null!;
    public GraphStub Graph { get; private set; } = null!;
    public PimTenant Tenant { get; private set; } = null!;
    public SsoAdminClient SsoAdmin { get; private set; } = null!;
    public IdentityStoreClient IdentityStore { get; private set; } = null!;
    public string InstanceArn { get; private set; } = "";
    public string IdentityStoreId { get; private set; } = "";

    public AWSCredentials Credentials { get; } = new BasicAWSCredentials("testing", "testing");

    /// <summary>The engine commands pointed at moto and the stub, as a deployment would be with PimBridge:AwsEndpoint.</summary>
    internal EngineEnvironment Environment => new()
    {
        Settings = new Dictionary<string, string?> { ["PimBridge:AwsEndpoint"] = Moto.Endpoint.ToString() },
        AwsCredentials = Credentials,
        GraphCredential = new StubCredential(),
    };

    public async Task InitializeAsync()
    {
        Moto = await MotoServer.StartAsync();
        Graph = await GraphStub.StartAsync();
        Tenant = new PimTenant(Graph);
        SsoAdmin = new SsoAdminClient(new SsoAdminClientOptions { Region = Region, Endpoint = Moto.Endpoint, Credentials = Credentials });
        IdentityStore = new IdentityStoreClient(new IdentityStoreClientOptions { Region = Region, Endpoint = Moto.Endpoint, Credentials = Credentials });
        await foreach (var instance in SsoAdmin.ListInstancesAsync())
        {
            InstanceArn = instance.InstanceArn!;
            IdentityStoreId = instance.IdentityStoreId!;
            break;
        }
    }

    public async Task DisposeAsync()
    {
        SsoAdmin?.Dispose();
        IdentityStore?.Dispose();
        _http.Dispose();
        if (Graph is not null) await Graph.DisposeAsync();
        if (Moto is not null) await Moto.DisposeAsync();
    }

    /// <summary>An Identity Center user whose userName is <paramref name="userName"/>, with that address as its email.</summary>
    public async Task<string> CreateUserAsync(string userName)
    {
        var created = await SendAsync("identitystore", "AWSIdentityStore.CreateUser", new JsonObject
        {
            ["IdentityStoreId"] = IdentityStoreId,
            ["UserName"] = userName,
            ["DisplayName"] = userName,
            ["Name"] = new JsonObject { ["GivenName"] = "Test", ["FamilyName"] = userName },
            ["Emails"] = new JsonArray(new JsonObject { ["Value"] = userName, ["Type"] = "work", ["Primary"] = true }),
        });
        return created["UserId"]!.GetValue<string>();
    }

    /// <summary>A permission set, provisioned to <see cref="Account"/> as AWS does on the first assignment (moto does not).</summary>
    public async Task<string> CreatePermissionSetAsync(string name)
    {
        var created = await SendAsync("sso", "SWBExternalService.CreatePermissionSet", new JsonObject
        {
            ["InstanceArn"] = InstanceArn, ["Name"] = name, ["Description"] = $"{name} for the CLI tests", ["SessionDuration"] = "PT4H",
        });
        var arn = created["PermissionSet"]!["PermissionSetArn"]!.GetValue<string>();
        await SsoAdmin.ProvisionPermissionSetAndWaitAsync(new ProvisionPermissionSetRequest
        {
            InstanceArn = InstanceArn, PermissionSetArn = arn, TargetType = ProvisionTargetTypes.AwsAccount, TargetId = Account,
        });
        return arn;
    }

    public async Task<bool> AssignedAsync(string permissionSetArn, string userId)
    {
        await foreach (var assignment in SsoAdmin.ListAccountAssignmentsAsync(new ListAccountAssignmentsRequest { InstanceArn = InstanceArn, AccountId = Account, PermissionSetArn = permissionSetArn }))
        {
            if (assignment.PrincipalId == userId) return true;
        }

        return false;
    }

    public async Task<string?> InlinePolicyAsync(string permissionSetArn) =>
        (await SsoAdmin.GetInlinePolicyForPermissionSetAsync(new PermissionSetRequest { InstanceArn = InstanceArn, PermissionSetArn = permissionSetArn })).InlinePolicy;

    /// <summary>A loopback address nothing listens on: a port the OS just handed out and took back.</summary>
    public static string ClosedLoopbackUrl()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/v1.0";
    }

    private async Task<JsonNode> SendAsync(string signingName, string target, JsonObject body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Moto.Endpoint) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8) };
        request.Content.Headers.ContentType = new("application/x-amz-json-1.1");
        request.Headers.Add("X-Amz-Target", target);
        request.Headers.TryAddWithoutValidation("Authorization", $"AWS4-HMAC-SHA256 Credential=testing/20260101/{Region}/{signingName}/aws4_request, SignedHeaders=host, Signature=0");
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{target} on moto answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }
}

/// <summary>
/// One test's PimBridge: a mapping from a fresh Entra group to a fresh permission set in <see cref="EngineCommandWorld.Account"/>,
/// a user on both sides, and a temporary folder with the configuration file and an (empty) SQLite state file.
/// </summary>
public sealed class EngineScenario : IAsyncDisposable
{
    private readonly EngineCommandWorld _world;
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..10];

    private EngineScenario(EngineCommandWorld world)
    {
        _world = world;
        Folder = Directory.CreateTempSubdirectory("pimbridge-cli-engine-").FullName;
    }

    public string Folder { get; }
    public string ConfigPath => Path.Combine(Folder, "pimbridge.json");
    public string StorePath => Path.Combine(Folder, "pimbridge.db");
    public string Group { get; } = Guid.NewGuid().ToString();
    public string EntraUserId { get; } = Guid.NewGuid().ToString();
    public string Mapping => $"admins-{_suffix}";
    public string Upn => $"engineer-{_suffix}@contoso.com";
    public string PermissionSetName => $"Admin-{_suffix}";
    public string UserId { get; private set; } = "";
    public string PermissionSetArn { get; private set; } = "";

    public static async Task<EngineScenario> CreateAsync(EngineCommandWorld world)
    {
        var scenario = new EngineScenario(world);
        scenario.UserId = await world.CreateUserAsync(scenario.Upn);
        scenario.PermissionSetArn = await world.CreatePermissionSetAsync(scenario.PermissionSetName);
        world.Tenant.AddGroup(scenario.Group).AddUser(scenario.EntraUserId, scenario.Upn);
        scenario.WriteConfig();
        await (await SqliteStateStore.OpenAsync(scenario.StorePath)).DisposeAsync(); // as serve leaves it on first start
        return scenario;
    }

    /// <summary>Writes the configuration file; the arguments break one thing for the doctor's tests.</summary>
    /// <param name="entra">False: no Entra section, as in the AWS-side watcher's configuration.</param>
    /// <param name="entraMode">The Entra credential mode (the tests' stub credential stands in for ManagedIdentity's token).</param>
    /// <param name="subscriptions">False: an Entra section without Subscriptions, as `pimbridge init` writes it.</param>
    public void WriteConfig(string? instanceArn = null, string? graphBaseUrl = null, JsonObject? gaps = null, JsonArray? sinks = null, bool entra = true, string entraMode = "ManagedIdentity", bool subscriptions = true)
    {
        var config = new JsonObject
        {
            ["IdentityCenter"] = new JsonObject
            {
                ["InstanceArn"] = instanceArn ?? _world.InstanceArn, ["IdentityStoreId"] = _world.IdentityStoreId, ["Region"] = EngineCommandWorld.Region,
            },
            ["Mappings"] = new JsonArray(new JsonObject
            {
                ["Name"] = Mapping,
                ["EntraGroupId"] = Group,
                ["AccountAssignments"] = new JsonObject { ["PermissionSet"] = PermissionSetName, ["Accounts"] = new JsonArray(EngineCommandWorld.Account) },
            }),
            ["Entra"] = new JsonObject
            {
                ["Mode"] = entraMode,
                ["GraphBaseUrl"] = graphBaseUrl ?? _world.Graph.BaseUrl,
                ["Subscriptions"] = new JsonObject
                {
                    ["AzureSubscriptionId"] = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", ["ResourceGroup"] = "pimbridge", ["PartnerTopic"] = "pimbridge-graph",
                    ["Location"] = "westeurope", ["ClientState"] = "cli-tests-client-state-0123456789",
                },
            },
        };
        if (!entra) config.Remove("Entra");
        if (!subscriptions) config["Entra"]!.AsObject().Remove("Subscriptions");
        if (gaps is not null) config["Gaps"] = gaps;
        if (sinks is not null) config["Notifications"] = new JsonObject { ["Sinks"] = sinks };
        File.WriteAllText(ConfigPath, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    public string InstanceId(string name) => $"{name}-{_suffix}";

    /// <summary>PIM lists an activation of the scenario's user in its group: started a minute ago, for an hour.</summary>
    public void Activate(string name)
    {
        var now = DateTimeOffset.UtcNow;
        _world.Tenant.AddInstance(GraphJson.Instance(InstanceId(name), EntraUserId, Group, start: Iso(now.AddMinutes(-1)), end: Iso(now.AddHours(1))));
    }

    /// <summary>PIM lists a standing (permanent) membership of the scenario's user in its group, assigned a week ago.</summary>
    public void AssignPermanently(string name) =>
        _world.Tenant.AddInstance(GraphJson.Instance(InstanceId(name), EntraUserId, Group, assignmentType: "Assigned", start: Iso(DateTimeOffset.UtcNow.AddDays(-7)), end: null));

    /// <summary>Grants the scenario's user through <c>reconcile</c>, as PimBridge would have, and checks the assignment is there.</summary>
    public async Task GrantAsync()
    {
        Activate("activation-1");
        var granted = await RunAsync("reconcile");
        Assert.True(granted.ExitCode == ExitCodes.Success, granted.ToString());
        Assert.True(await AssignedAsync());
    }

    /// <summary>Runs <c>pimbridge</c> in-process, with the scenario's configuration and state file, against moto and the stub.</summary>
    public Task<CliRun> RunAsync(params string[] args) => RunWithoutStoreAsync([.. args, "--store", StorePath]);

    /// <summary>As <see cref="RunAsync"/>, with host settings (<c>PimBridge:Host:…</c>) in the environment, as where serve runs.</summary>
    public Task<CliRun> RunWithHostSettingsAsync(IReadOnlyDictionary<string, string?> hostSettings, params string[] args) =>
        RunInAsync(_world.Environment with { Settings = _world.Environment.Settings.Concat(hostSettings).ToDictionary() }, [.. args, "--store", StorePath]);

    /// <summary>As <see cref="RunAsync"/>, with no Graph credential given: the configuration's Entra.Mode decides how Graph is reached.</summary>
    public Task<CliRun> RunWithConfiguredGraphAsync(params string[] args) =>
        RunInAsync(_world.Environment with { GraphCredential = null }, [.. args, "--store", StorePath]);

    /// <summary>As <see cref="RunAsync"/>, naming the configuration file but no state store.</summary>
    public Task<CliRun> RunWithoutStoreAsync(params string[] args) => RunInAsync(_world.Environment, args);

    private async Task<CliRun> RunInAsync(EngineEnvironment environment, string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit;
        using (EngineEnvironment.Use(environment))
            exit = await PimBridgeCommandLine.RunAsync([.. args, "--config", ConfigPath], CliConsole.Capture(output, error, TimeProvider.System));
        return new CliRun(exit, output.ToString(), error.ToString());
    }

    public Task<SqliteStateStore> OpenStoreAsync() => SqliteStateStore.OpenAsync(StorePath);

    public Task<bool> AssignedAsync() => _world.AssignedAsync(PermissionSetArn, UserId);

    public ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Folder, recursive: true);
        return ValueTask.CompletedTask;
    }

    private static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
