using Amazon.Runtime;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Testing;

namespace PimBridge.Aws.Tests.Integration;

/// <summary>One real moto_server for every integration test in this assembly, with clients signed as AWS would require.</summary>
public sealed class MotoFixture : IAsyncLifetime
{
    public const string Region = "us-east-1";

    public MotoServer Server { get; private set; } = null!;
    public SsoAdminClient SsoAdmin { get; private set; } = null!;
    public IdentityStoreClient IdentityStore { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await MotoServer.StartAsync();
        SsoAdmin = new SsoAdminClient(Configure(new SsoAdminClientOptions()));
        IdentityStore = new IdentityStoreClient(Configure(new IdentityStoreClientOptions()));
    }

    public T Configure<T>(T options) where T : AwsClientOptions
    {
        options.Region = Region;
        options.Endpoint = Server.Endpoint;
        options.Credentials = new BasicAWSCredentials("testing", "testing");
        return options;
    }

    public async Task DisposeAsync()
    {
        SsoAdmin?.Dispose();
        IdentityStore?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class MotoCollection : ICollectionFixture<MotoFixture>
{
    public const string Name = "moto";
}
