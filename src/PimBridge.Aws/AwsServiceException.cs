using System.Net;
using PimBridge.Core.Ports;

namespace PimBridge.Aws;

/// <summary>
/// A failed AWS call: either the service answered with an error, or no answer came (connection failure, timeout,
/// in which case <see cref="Status"/> is 0 and <see cref="ErrorCode"/> names the failure).
/// </summary>
public sealed class AwsServiceException : Exception, IThrottlingFailure
{
    public AwsServiceException(
        string service, string operation, int status, string errorCode, string message,
        string? requestId = null, string? reason = null, TimeSpan? retryAfter = null, int attempts = 1,
        Exception? innerException = null, string? resourceType = null)
        : base(Describe(service, operation, status, errorCode, message, requestId), innerException)
    {
        Service = service;
        Operation = operation;
        Status = status;
        ErrorCode = errorCode;
        ServiceMessage = message;
        RequestId = requestId;
        Reason = reason;
        ResourceType = resourceType;
        RetryAfter = retryAfter;
        Attempts = attempts;
        IsThrottling = AwsErrorClassification.IsThrottling(errorCode, status);
        IsRetryable = AwsErrorClassification.IsRetryable(service, errorCode, status, reason);
    }

    /// <summary>The service's short name: <c>sso-admin</c>, <c>identitystore</c> or <c>cloudtrail</c>.</summary>
    public string Service { get; }

    public string Operation { get; }

    /// <summary>HTTP status, or 0 when no response arrived.</summary>
    public int Status { get; }

    /// <summary>The sanitised error code, for example <c>ThrottlingException</c>.</summary>
    public string ErrorCode { get; }

    /// <summary>The message as the service sent it.</summary>
    public string ServiceMessage { get; }

    public string? RequestId { get; }

    /// <summary>The modeled <c>Reason</c> member, for example <c>CONCURRENT_MODIFICATION</c>.</summary>
    public string? Reason { get; }

    /// <summary>identitystore's <c>ResourceType</c> on ResourceNotFoundException: USER, GROUP, IDENTITY_STORE, GROUP_MEMBERSHIP, ...</summary>
    public string? ResourceType { get; }

    /// <summary>The service's <c>RetryAfterSeconds</c> hint, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>How many attempts were made before giving up.</summary>
    public int Attempts { get; internal set; }

    public bool IsThrottling { get; }

    public bool IsRetryable { get; }

    public bool IsNotFound => ErrorCode == "ResourceNotFoundException";

    public bool IsAccessDenied => ErrorCode is "AccessDeniedException" or "AccessDenied";

    /// <summary>Error code used when no HTTP response arrived.</summary>
    public const string ConnectionFailure = "ConnectionFailure";

    /// <summary>Error code used when an attempt exceeded its timeout.</summary>
    public const string AttemptTimedOut = "AttemptTimedOut";

    /// <summary>Error code used when the credential chain found nothing usable. Not retried.</summary>
    public const string CredentialsUnavailable = "CredentialsUnavailable";

    /// <summary>Error code used when a 2xx response body could not be read as the operation's output.</summary>
    public const string MalformedResponse = "MalformedResponse";

    private static string Describe(string service, string operation, int status, string code, string message, string? requestId)
    {
        var where = status == 0 ? "no response" : $"HTTP {status} ({(HttpStatusCode)status})";
        var id = requestId is null ? "" : $", request id {requestId}";
        return $"{service} {operation} failed: {code}: {message} [{where}{id}]";
    }
}
