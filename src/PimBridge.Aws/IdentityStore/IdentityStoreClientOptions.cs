namespace PimBridge.Aws.IdentityStore;

public sealed class IdentityStoreClientOptions : AwsClientOptions
{
    /// <summary>Defaults follow the Identity Store quota: 20 TPS for all operations together.</summary>
    public IdentityStoreClientOptions() => RequestsPerSecond = 20;
}
