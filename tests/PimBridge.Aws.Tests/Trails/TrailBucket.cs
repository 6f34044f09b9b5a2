using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using PimBridge.Aws.Tests.Integration;
using PimBridge.Aws.Trails;
using PimBridge.Core.Gaps;
using PimBridge.Core.Ports;

namespace PimBridge.Aws.Tests.Trails;

/// <summary>A fresh bucket on moto laid out as an organization trail, and the S3 client to reach it.</summary>
public sealed class TrailBucket : IDisposable
{
    public const string Organization = "o-a1b2c3d4e5";
    public const string Prefix = "org-trail";

    private TrailBucket(AmazonS3Client client, string name)
    {
        Client = client;
        Name = name;
    }

    public AmazonS3Client Client { get; }

    public string Name { get; }

    /// <summary>An S3 client for moto; <paramref name="handler"/> (around a socket handler) sees its traffic when given.</summary>
    public static AmazonS3Client ClientFor(MotoFixture moto, HttpMessageHandler? handler = null)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = moto.Server.Endpoint.ToString(),
            AuthenticationRegion = MotoFixture.Region,
            ForcePathStyle = true,
        };
        if (handler is not null) config.HttpClientFactory = new HandlerHttpClientFactory(handler);
        return new AmazonS3Client(new BasicAWSCredentials("testing", "testing"), config);
    }

    public static async Task<TrailBucket> CreateAsync(MotoFixture moto)
    {
        var client = ClientFor(moto);
        var name = "trail-" + Guid.NewGuid().ToString("N")[..20];
        await client.PutBucketAsync(new PutBucketRequest { BucketName = name });
        return new TrailBucket(client, name);
    }

    /// <summary>Puts a gzip trail file at the organization-trail key and returns the key.</summary>
    public async Task<string> PutTrailFileAsync(string account, string region, DateTimeOffset delivered, string unique, params JsonNode[] records)
    {
        var key = TrailJson.OrganizationTrailKey(Organization, account, region, delivered, unique, Prefix);
        await PutAsync(key, TrailJson.Gzip(TrailJson.File(records)));
        return key;
    }

    public async Task PutAsync(string key, byte[] content)
    {
        using var body = new MemoryStream(content);
        await Client.PutObjectAsync(new PutObjectRequest { BucketName = Name, Key = key, InputStream = body });
    }

    /// <summary>Source options for this bucket's organization trail.</summary>
    public S3TrailSourceOptions Options(TimeProvider time, Action<S3TrailSourceOptions>? configure = null)
    {
        var options = new S3TrailSourceOptions { Bucket = Name, Prefix = Prefix, OrganizationId = Organization, TimeProvider = time };
        configure?.Invoke(options);
        return options;
    }

    public void Dispose() => Client.Dispose();
}

/// <summary>
/// Cursors kept in a real state store and saved from each batch exactly as the gap detector does: the batch's
/// checkpoint at the stored version, in one commit.
/// </summary>
public sealed class StoreCursors(IStateStore store) : ITrailCursors
{
    public async Task<string?> GetAsync(string name, CancellationToken cancellationToken = default) =>
        (await store.GetCheckpointAsync(name, cancellationToken))?.Value;

    public async Task SaveAsync(TrailBatch batch)
    {
        if (batch.Cursor is not { } cursor) return;
        var stored = await store.GetCheckpointAsync(cursor.Name);
        var change = new StateChange();
        change.Checkpoints.Add(cursor with { Version = stored?.Version ?? 0 });
        await store.CommitAsync(change);
    }
}
