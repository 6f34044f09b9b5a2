using Amazon.Runtime;
using PimBridge.Aws.CloudTrail;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Testing;

namespace PimBridge.Aws.Tests.Wire;

/// <summary>Clients wired to a <see cref="RecordingHandler"/> below the real signer, on a clock that never waits.</summary>
public static class WireClients
{
    public const string Region = "us-east-1";
    public static readonly BasicAWSCredentials Credentials = new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");

    public static SsoAdminClient SsoAdmin(RecordingHandler handler, ManualTimeProvider? time = null, Action<SsoAdminClientOptions>? configure = null)
    {
        var options = new SsoAdminClientOptions();
        Apply(options, handler, time);
        configure?.Invoke(options);
        return new SsoAdminClient(options);
    }

    public static IdentityStoreClient IdentityStore(RecordingHandler handler, ManualTimeProvider? time = null, Action<IdentityStoreClientOptions>? configure = null)
    {
        var options = new IdentityStoreClientOptions();
        Apply(options, handler, time);
        configure?.Invoke(options);
        return new IdentityStoreClient(options);
    }

    public static CloudTrailClient CloudTrail(RecordingHandler handler, ManualTimeProvider? time = null, Action<CloudTrailClientOptions>? configure = null)
    {
        var options = new CloudTrailClientOptions();
        Apply(options, handler, time);
        configure?.Invoke(options);
        return new CloudTrailClient(options);
    }

    private static void Apply(AwsClientOptions options, RecordingHandler handler, ManualTimeProvider? time)
    {
        options.Region = Region;
        options.Credentials = Credentials;
        options.HttpHandler = handler;
        options.TimeProvider = time ?? new ManualTimeProvider { AutoAdvance = true };
    }

    public static async Task<List<T>> ToListAsync<T>(this IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source) list.Add(item);
        return list;
    }
}
