namespace PimBridge.Aws.CloudTrail;

public sealed class CloudTrailClientOptions : AwsClientOptions
{
    /// <summary>LookupEvents allows 2 requests per second per account and Region; one client serves one of each.</summary>
    public CloudTrailClientOptions() => RequestsPerSecond = 2;
}
