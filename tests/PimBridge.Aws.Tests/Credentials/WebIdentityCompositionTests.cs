using System.Web;
using System.Xml.Linq;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using PimBridge.Aws.Tests.Integration;
using PimBridge.Composition;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using PimBridge.Entra;
using PimBridge.Store.DynamoDb;
using PimBridge.Store.Sqlite;

namespace PimBridge.Aws.Tests.Credentials;

/// <summary>
/// The host composition with <c>PimBridge:Aws:WebIdentityRoleArn</c> set, against moto behind a proxy that records
/// which access key signed each request: the clients the composition builds sign with the credentials STS issued for
/// the managed identity's token, not with anything from the environment.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class WebIdentityCompositionTests(MotoFixture moto) : IDisposable
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/pimbridge-bridge";

    private readonly string _folder = Directory.CreateTempSubdirectory("pimbridge-webidentity-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private async Task<string> ConfigFileAsync()
    {
        var seed = new MotoSeed(moto);
        var instance = await seed.InstanceAsync();
        var permissionSet = "WebIdentity" + Guid.NewGuid().ToString("N")[..8];
        await seed.CreatePermissionSetAsync(permissionSet);
        var group = "webidentity-" + Guid.NewGuid().ToString("N")[..8];
        await seed.CreateGroupAsync(group);
        var path = Path.Combine(_folder, "pimbridge.json");
        await File.WriteAllTextAsync(path, $$"""
            {
              "IdentityCenter": { "InstanceArn": "{{instance.InstanceArn}}", "IdentityStoreId": "{{instance.IdentityStoreId}}", "Region": "{{MotoFixture.Region}}" },
              "Mappings": [
                { "Name": "ops-admin", "EntraGroupId": "{{Guid.NewGuid()}}", "AccountAssignments": { "PermissionSet": "{{permissionSet}}", "Accounts": [ "{{MotoSeed.AccountId}}" ] } },
                { "Name": "ops-group", "EntraGroupId": "{{Guid.NewGuid()}}", "IdentityCenterGroup": { "DisplayName": "{{group}}" } }
              ]
            }
            """);
        return path;
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    [Fact]
    public async Task Every_client_the_composition_builds_signs_with_the_role_assumed_with_the_managed_identity_token()
    {
        var table = "pimbridge-webidentity-" + Guid.NewGuid().ToString("N")[..8];
        using (var dynamo = new AmazonDynamoDBClient(new BasicAWSCredentials("testing", "testing"), new AmazonDynamoDBConfig { ServiceURL = moto.Server.Endpoint.ToString(), AuthenticationRegion = MotoFixture.Region }))
            await DynamoDbStateStore.CreateTableAsync(dynamo, table);
        await using var proxy = new SigningRecorderProxy(moto.Server.Endpoint);
        var entra = new FakeEntraToken();
        var configuration = Configuration(
            ("PimBridge:ConfigFile", await ConfigFileAsync()),
            ("PimBridge:Store", "dynamodb"),
            ("PimBridge:DynamoDbTable", table),
            ("PimBridge:AwsEndpoint", proxy.Endpoint.ToString()),
            ("PimBridge:Aws:WebIdentityRoleArn", RoleArn),
            ("PimBridge:Aws:WebIdentityAudience", "api://pimbridge-aws"));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var components = await ComposedEngine.ComposeAsync(configuration, TimeProvider.System, NullLoggerFactory.Instance,
            new ComposedEngineInputs { Stores = [new DynamoDbStoreFactory(), new SqliteStoreFactory()], Pim = new UnusedPim(), Subscriptions = new UnusedSubscriptions(), AwsWebIdentityToken = entra }, timeout.Token);
        try
        {
            await components.Store.GetGrantAsync("no-such-grant", timeout.Token);
        }
        finally
        {
            await components.Resources!.DisposeAsync();
        }

        var exchange = Assert.Single(proxy.Requests, r => r.Body.Contains("Action=AssumeRoleWithWebIdentity", StringComparison.Ordinal));
        var form = HttpUtility.ParseQueryString(exchange.Body);
        Assert.Null(exchange.AccessKeyId);
        Assert.Equal(RoleArn, form["RoleArn"]);
        Assert.Equal(Assert.Single(entra.Issued), form["WebIdentityToken"]);
        Assert.Equal(["api://pimbridge-aws/.default"], entra.Scopes);
        var assumedKey = XDocument.Parse(exchange.ResponseBody).Descendants().Single(e => e.Name.LocalName == "AccessKeyId").Value;
        var signed = proxy.Requests.Where(r => r != exchange).ToList();
        // Mapping resolution reads sso-admin and identitystore; the store reads DynamoDB.
        Assert.Contains(signed, r => r.Target?.StartsWith("SWBExternalService.", StringComparison.Ordinal) == true);
        Assert.Contains(signed, r => r.Target?.StartsWith("AWSIdentityStore.", StringComparison.Ordinal) == true);
        Assert.Contains(signed, r => r.Target == "DynamoDB_20120810.GetItem");
        Assert.All(signed, r => Assert.Equal(assumedKey, r.AccessKeyId));
    }

    [Fact]
    public async Task A_web_identity_role_that_is_not_a_role_ARN_stops_the_composition_naming_the_setting()
    {
        var configuration = Configuration(
            ("PimBridge:ConfigFile", await ConfigFileAsync()),
            ("PimBridge:SqlitePath", Path.Combine(_folder, "state.db")),
            ("PimBridge:AwsEndpoint", moto.Server.Endpoint.ToString()),
            ("PimBridge:Aws:WebIdentityRoleArn", "pimbridge-bridge"));

        var error = await Assert.ThrowsAsync<ConfigurationException>(() => ComposedEngine.ComposeAsync(configuration, TimeProvider.System, NullLoggerFactory.Instance,
            new ComposedEngineInputs { Stores = [new DynamoDbStoreFactory(), new SqliteStoreFactory()], Pim = new UnusedPim(), Subscriptions = new UnusedSubscriptions(), AwsWebIdentityToken = new FakeEntraToken() }));

        Assert.StartsWith("PimBridge:Aws:WebIdentityRoleArn: 'pimbridge-bridge' is not an IAM role ARN", Assert.Single(error.Problems));
    }

    /// <summary>Composing reads neither PIM nor Graph; these only keep the composition from building Graph clients.</summary>
    private sealed class UnusedPim : IPimSource
    {
        public Task<PimSnapshot> GetSnapshotAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("composing must not read PIM");

        public Task<ActivationRequest?> GetActivationRequestAsync(Activation activation, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("composing must not read PIM");
    }

    private sealed class UnusedSubscriptions : IGraphSubscriptions
    {
        public Task<SubscriptionReport> EnsureAsync(CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("composing must not touch Graph subscriptions");

        public Task<SubscriptionAction> ReauthorizeAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("composing must not touch Graph subscriptions");
    }
}
