namespace PimBridge.Aws.Transport;

/// <summary>The wire identity of one awsJson1_1 service: how to address, target and sign it.</summary>
internal sealed record AwsService(string Name, string EndpointPrefix, string SigningName, string TargetPrefix)
{
    public const string SsoAdminName = "sso-admin";
    public const string IdentityStoreName = "identitystore";
    public const string CloudTrailName = "cloudtrail";

    // sso-admin lives at sso.{region} and signs as "sso", not "sso-admin".
    public static readonly AwsService SsoAdmin = new(SsoAdminName, "sso", "sso", "SWBExternalService");
    public static readonly AwsService IdentityStore = new(IdentityStoreName, "identitystore", "identitystore", "AWSIdentityStore");
    public static readonly AwsService CloudTrail = new(CloudTrailName, "cloudtrail", "cloudtrail", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101");

    /// <summary>The public endpoint per the services' endpoint rule sets (aws, aws-cn and aws-us-gov partitions).</summary>
    public Uri EndpointFor(string region, bool fips)
    {
        var suffix = region.StartsWith("cn-", StringComparison.Ordinal) ? "amazonaws.com.cn" : "amazonaws.com";
        // GovCloud's FIPS endpoint for sso-admin is the regular host.
        var useFips = fips && !(this == SsoAdmin && region.StartsWith("us-gov-", StringComparison.Ordinal));
        var host = useFips ? $"{EndpointPrefix}-fips.{region}.{suffix}" : $"{EndpointPrefix}.{region}.{suffix}";
        return new Uri($"https://{host}/");
    }
}
