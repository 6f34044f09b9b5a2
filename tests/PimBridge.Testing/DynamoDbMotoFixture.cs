using Amazon.DynamoDBv2;
using Amazon.Runtime;
using PimBridge.Sandbox;
using PimBridge.Store.DynamoDb;
using Xunit;

namespace PimBridge.Testing;

/// <summary>
/// One real moto_server for every DynamoDB store test, and a client signed as AWS would require. Each test gets its
/// own table (<see cref="CreateTableAsync"/>), so tests never see each other's items. A missing moto fails the run
/// with the install hint; it never skips.
/// </summary>
/// <remarks>
/// moto serves requests on concurrent threads without isolating them: TransactWriteItems checks and writes item by
/// item and undoes a cancelled transaction by restoring a snapshot of the whole table taken when it began, so two
/// transactions running at once can both pass a condition, or one's rollback can resurrect or erase the other's
/// writes. Real DynamoDB executes transactions and conditional writes serializably. The clients made here therefore
/// send one request at a time to moto (<see cref="SerializingHttpClientFactory"/>), which gives moto DynamoDB's
/// isolation; the store's concurrent callers still interleave between requests (read, then conditional write) exactly
/// as they would against AWS, so optimistic concurrency is exercised, not bypassed.
/// </remarks>
public sealed class DynamoDbMotoFixture : IAsyncLifetime
{
    public const string Region = "us-east-1";

    /// <summary>One moto request at a time, process-wide (see the remarks).</summary>
    private readonly SemaphoreSlim _motoGate = new(1, 1);
    private int _tables;

    public MotoServer Server { get; private set; } = null!;

    public IAmazonDynamoDB Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await MotoServer.StartAsync();
        Client = CreateClient();
    }

    public AmazonDynamoDBClient CreateClient() => new(
        new BasicAWSCredentials("testing", "testing"),
        new AmazonDynamoDBConfig
        {
            ServiceURL = Server.Endpoint.ToString(),
            AuthenticationRegion = Region,
            HttpClientFactory = new SerializingHttpClientFactory(_motoGate),
        });

    /// <summary>A new, uniquely named table with the store's schema, created the way production creates it.</summary>
    public async Task<string> CreateTableAsync(IAmazonDynamoDB? client = null)
    {
        var name = $"pimbridge-test-{Interlocked.Increment(ref _tables):D4}-{Guid.NewGuid():N}"[..48];
        await DynamoDbStateStore.CreateTableAsync(client ?? Client, name, CancellationToken.None);
        return name;
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Server is not null) await Server.DisposeAsync();
        _motoGate.Dispose();
    }
}

/// <summary>HTTP clients whose requests wait for one shared gate, so the server sees them one at a time.</summary>
public sealed class SerializingHttpClientFactory(SemaphoreSlim gate) : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
        new(new SerializingHandler(gate) { InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = false } });

    private sealed class SerializingHandler(SemaphoreSlim gate) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // moto answers only once it has handled the whole request, so the headers mark the end of its work.
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }
    }
}
