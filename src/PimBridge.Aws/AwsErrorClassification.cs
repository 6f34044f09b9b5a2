using PimBridge.Aws.Transport;

namespace PimBridge.Aws;

/// <summary>The retry rules of the AWS SDKs (botocore standard mode, AWSSDK.Core StandardRetryPolicy), plus the per-service conflict rules.</summary>
internal static class AwsErrorClassification
{
    private static readonly HashSet<string> ThrottlingCodes = new(StringComparer.Ordinal)
    {
        "ThrottlingException", "Throttling", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
        "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
        "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    };

    private static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        "InternalServerException", "InternalFailure", "InternalError", "ServiceUnavailable", "ServiceUnavailableException",
        "RequestTimeout", "RequestTimeoutException", "RequestExpired",
        AwsServiceException.ConnectionFailure, AwsServiceException.AttemptTimedOut,
    };

    public static bool IsThrottling(string code, int status) => status == 429 || ThrottlingCodes.Contains(code);

    public static bool IsRetryable(string service, string code, int status, string? reason)
    {
        if (IsThrottling(code, status) || TransientCodes.Contains(code) || status is 500 or 502 or 503 or 504)
            return true;
        if (code != "ConflictException")
            return false;
        // sso-admin: a conflict with an earlier write that has not settled yet; the model says retry with backoff.
        // identitystore: only a concurrent modification is transient; a uniqueness violation is a real conflict.
        return service switch
        {
            AwsService.SsoAdminName => true,
            AwsService.IdentityStoreName => reason == "CONCURRENT_MODIFICATION",
            _ => false,
        };
    }
}
