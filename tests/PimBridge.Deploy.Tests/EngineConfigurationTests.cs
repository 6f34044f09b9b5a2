using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.S3;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Aws.Trails;
using PimBridge.Composition;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Entra;
using PimBridge.Lambda;
using PimBridge.Notifications;
using PimBridge.Sandbox;
using PimBridge.Sandbox.Scenarios;
using PimBridge.Store.DynamoDb;
using PimBridge.Testing;

namespace PimBridge.Deploy.Tests;

/// <summary>
/// The engine files the Pulumi program generates (through <c>npm run engine-config</c>, the program's own code) are
/// loaded by the C# hosts they are deployed to: every check passes, and the watcher, configured exactly as deployed,
/// runs on moto.
/// </summary>
public sealed class EngineConfigurationTests : IDisposable
{
    private const string ProdAdminGroup = "11111111-1111-1111-1111-111111111111";
    private const string PlatformGroup = "22222222-2222-2222-2222-222222222222";
    private const string Prod = "222233334444";
    private const string Staging = "555566667777";
    private readonly string _folder = Directory.CreateTempSubdirectory("pimbridge-engine-config-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The engine file the program deploys to <paramref name="host"/> for a stack file's settings.</summary>
    private async Task<string> EngineConfigAsync(string stackYaml, string host)
    {
        await PulumiFolder.EnsureInstalledAsync();
        var stackFile = Path.Combine(_folder, $"Pulumi.test-{host}.yaml");
        await File.WriteAllTextAsync(stackFile, stackYaml);
        var run = await PulumiFolder.RunAsync("npm", ["run", "--silent", "engine-config", "--", stackFile, host], TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, $"npm run engine-config failed (exit {run.ExitCode}):\n{run.Output}");
        return run.StandardOutput;
    }

    /// <summary>The example stack as a platform team would have it: its settings, plus the required secrets set encrypted.</summary>
    private static string ExampleStack() =>
        File.ReadAllText(Path.Combine(PulumiFolder.Path(), "Pulumi.example.yaml"))
        + "  pimbridge:graphClientState:\n    secure: v1:AAAABBBBCCCCDDDD\n"
        + "  pimbridge:eventDeliverySecret:\n    secure: v1:EEEEFFFFGGGGHHHH\n";

    [Theory]
    [InlineData("watcher")]
    [InlineData("function")]
    public async Task The_example_stacks_engine_file_passes_every_check_of_the_host_it_is_deployed_to(string host)
    {
        var json = await EngineConfigAsync(ExampleStack(), host);
        var file = Path.Combine(_folder, $"{host}.json");
        await File.WriteAllTextAsync(file, json);
        // The secrets the program sets as PIMBRIDGE_ variables beside the file (engineSecretEnvironment).
        var secrets = new Dictionary<string, string?> { ["Notifications:Sinks:0:Url"] = "https://hooks.slack.com/services/T0/B0/secret" };
        if (host == "function") secrets["Entra:Subscriptions:ClientState"] = "client-state";
        var root = new ConfigurationBuilder().AddJsonFile(file).AddInMemoryCollection(secrets).Build();

        // Bind rejects any key the engine does not know: the program's names must be the engine's.
        var topLevel = root.GetChildren().Select(s => s.Key).Where(k => k != CompositionSettings.EntraSection).ToList();
        var settings = PimBridgeConfiguration.Bind(root, topLevel);

        Assert.Equal(["prod-admin", "platform"], settings.Mappings.Select(m => m.Name));
        Assert.Equal([Prod, Staging], settings.Mappings[0].Accounts);
        Assert.Equal(TimeSpan.FromHours(4), settings.Mappings[0].MaxDuration);
        Assert.Equal("userPrincipalName", settings.IdentityCenter.MatchUsersBy);
        Assert.Empty(NotificationSinks.Validate(settings.Notifications, credentialAvailable: false));
        Assert.Equal(["security-slack", "audit-log"], settings.Notifications.Sinks.Select(s => s.Name));
        if (host == "watcher")
        {
            // The gap detector runs in the watcher only; the watcher never reads Graph.
            Assert.False(root.GetSection(CompositionSettings.EntraSection).Exists());
            var source = Assert.IsType<GapSourceOptions>(settings.GapSource);
            Assert.Empty(TrailSources.Validate(source, settings.IdentityCenter.Region));
            Assert.Equal("PimBridgeAudit", source.AuditRoleName);
            Assert.Equal(TimeSpan.FromMinutes(5), settings.Gaps.Interval);
        }
        else
        {
            Assert.Null(settings.GapSource);
            var entra = new EntraOptions();
            root.GetSection(CompositionSettings.EntraSection).Bind(entra);
            Assert.Empty(entra.Problems(subscriptions: true, environment: _ => null));
            Assert.Equal("8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e", entra.TenantId);
        }
    }

    [Fact]
    public async Task The_watcher_configured_as_deployed_removes_expired_access_fences_its_sessions_and_scans_the_trail_bucket_on_moto()
    {
        const string region = "us-east-1";
        const string table = "pimbridge-state";
        const string trailBucket = "org-cloudtrail-logs";
        await using var moto = await MotoServer.StartAsync();
        var credentials = new BasicAWSCredentials("test", "test");
        using var ssoAdmin = new SsoAdminClient(new SsoAdminClientOptions { Region = region, Endpoint = moto.Endpoint, Credentials = credentials, RequestsPerSecond = 200 });
        using var identityStore = new IdentityStoreClient(new IdentityStoreClientOptions { Region = region, Endpoint = moto.Endpoint, Credentials = credentials, RequestsPerSecond = 200 });
        var seeded = await new IdentityCenterSeed(ssoAdmin, identityStore).SeedAsync(IdentityCenter(), CancellationToken.None);
        // What the program creates around the watcher: the state table (the store's schema) and, here, the trail bucket.
        using (var dynamoDb = new AmazonDynamoDBClient(credentials, new AmazonDynamoDBConfig { ServiceURL = moto.Endpoint.ToString(), AuthenticationRegion = region }))
            await DynamoDbStateStore.CreateTableAsync(dynamoDb, table);
        using (var s3 = new AmazonS3Client(credentials, new AmazonS3Config { ServiceURL = moto.Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = region }))
            await s3.PutBucketAsync(trailBucket);

        var json = await EngineConfigAsync($$"""
            config:
              pimbridge:identityCenterInstanceArn: {{seeded.InstanceArn}}
              pimbridge:identityStoreId: {{seeded.IdentityStoreId}}
              pimbridge:identityCenterRegion: {{region}}
              pimbridge:identityCenterAccountId: "111122223333"
              pimbridge:mappings:
                - name: prod-admin
                  entraGroupId: {{ProdAdminGroup}}
                  accountAssignments: { permissionSet: AdministratorAccess, accounts: ["{{Prod}}"] }
                - name: platform
                  entraGroupId: {{PlatformGroup}}
                  identityCenterGroup: { displayName: Platform Engineers }
              pimbridge:gapsSource: s3
              pimbridge:gapsTrailBucket: {{trailBucket}}
              pimbridge:alertSinks: [{ name: audit-log, type: log }]
              pimbridge:azureTenantId: 8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e
              pimbridge:azureSubscriptionId: 00000000-0000-0000-0000-000000000000
              pimbridge:graphClientState:
                secure: v1:AAAABBBBCCCCDDDD
              pimbridge:eventDeliverySecret:
                secure: v1:EEEEFFFFGGGGHHHH
            """, "watcher");
        // The function's environment as the program sets it (aws.ts), plus the emulator's address.
        var configuration = WatcherConfiguration.Build(new Dictionary<string, string?>
        {
            [WatcherConfiguration.ConfigJsonVariable] = json,
            ["PimBridge__Store"] = "dynamodb",
            ["PimBridge__DynamoDbTable"] = table,
            ["PimBridge__DynamoDbRegion"] = region,
            ["PimBridge__AwsEndpoint"] = moto.Endpoint.ToString(),
        }, _folder);
        // Auto-advancing: the AWS clients wait for operations and pace requests on the engine's clock.
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow) { AutoAdvance = true };
        var stdout = new StringWriter();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3)); // a hang fails rather than blocks
        await using var watcher = await WatcherFunction.CreateAsync(configuration, clock, NullLoggerFactory.Instance,
            new EmbeddedMetrics(stdout, clock, "pimbridge-watcher"), new ComposedEngineInputs { AwsCredentials = credentials }, deadline.Token);
        // The bridge's part, on the same table: PIM says alice activated prod-admin for an hour.
        var bridge = await ComposedEngine.ComposeAsync(configuration, clock, NullLoggerFactory.Instance,
            new ComposedEngineInputs { Stores = [new DynamoDbStoreFactory()], AwsCredentials = credentials }, deadline.Token);
        try
        {
            var start = clock.GetUtcNow();
            await bridge.Enforcer.ReconcileAsync(new PimSnapshot([ProdAdminGroup],
                [new Activation("act-1", new EntraPrincipal("alice-entra", "alice@contoso.com"), ProdAdminGroup, PimAccess.Member, start, start.AddHours(1))]));
            var adminArn = seeded.PermissionSetArns["AdministratorAccess"];
            var alice = seeded.UserIds["alice"];

            var granted = Summary(await watcher.HandleAsync(Scheduled("r-1"), deadline.Token));

            Assert.True(granted.IntentsDone >= 1, $"{granted}");
            Assert.Contains(alice, await AssignedAsync(ssoAdmin, seeded.InstanceArn, adminArn));
            Assert.Equal(0, granted.GapAlerts);
            Assert.False(granted.GapScanSkipped);

            // A change notification reached the bridge; the watcher must leave it to the bridge, which reads PIM.
            Assert.True(await bridge.Enforcer.HintAsync(ProdAdminGroup));
            var hint = Assert.Single(await bridge.Store.GetPendingIntentsAsync(IntentKind.ReconcileGroup, ProdAdminGroup));
            clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));

            var expired = Summary(await watcher.HandleAsync(Scheduled("r-2"), deadline.Token));

            Assert.Equal(1, expired.GrantsEnded);
            Assert.True(expired.Idle, $"{expired}");
            Assert.Equal(0, expired.IntentsFailed);
            Assert.DoesNotContain(alice, await AssignedAsync(ssoAdmin, seeded.InstanceArn, adminArn));
            var policy = (await ssoAdmin.GetInlinePolicyForPermissionSetAsync(new PermissionSetRequest { InstanceArn = seeded.InstanceArn, PermissionSetArn = adminArn })).InlinePolicy;
            Assert.Contains(alice, policy);
            Assert.Contains("aws:TokenIssueTime", policy);
            Assert.Equal(hint, await bridge.Store.GetIntentAsync(hint.Id));
            Assert.Contains("\"CriticalGapAlerts\":0", stdout.ToString());
        }
        finally
        {
            await bridge.Resources!.DisposeAsync();
        }
    }

    private static Scenario IdentityCenter() => new()
    {
        Name = "deployed watcher",
        Speed = 1,
        PermissionSets = [new ScenarioPermissionSet("AdministratorAccess", TimeSpan.FromHours(1), null)],
        IdentityCenterGroups = [new ScenarioIdentityCenterGroup("Platform Engineers", [])],
        Users = [new ScenarioUser("alice", "alice@contoso.com")],
        Groups = [new ScenarioGroup("prod-admin", "AdministratorAccess", [Prod], null, true, [new ScenarioAssignment("AdministratorAccess", [Prod])])],
        Timeline = [],
        Steps = [],
        Expectations = [],
    };

    private static LambdaInvocation Scheduled(string id) =>
        new(id, DateTimeOffset.UtcNow.AddMinutes(1), null, null, "{\"source\":\"aws.scheduler\"}"u8.ToArray());

    private static WatcherSummary Summary(byte[] body) => JsonSerializer.Deserialize<WatcherSummary>(body)!;

    private static async Task<List<string>> AssignedAsync(SsoAdminClient ssoAdmin, string instanceArn, string permissionSetArn)
    {
        var principals = new List<string>();
        await foreach (var assignment in ssoAdmin.ListAccountAssignmentsAsync(new ListAccountAssignmentsRequest { InstanceArn = instanceArn, AccountId = Prod, PermissionSetArn = permissionSetArn }))
            principals.Add(assignment.PrincipalId!);
        return principals;
    }
}
