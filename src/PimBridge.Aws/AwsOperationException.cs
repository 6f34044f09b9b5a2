namespace PimBridge.Aws;

/// <summary>
/// An asynchronous sso-admin operation was accepted but did not succeed: it ended FAILED (see <see cref="FailureReason"/>),
/// or it was still IN_PROGRESS when the caller's deadline passed (<see cref="TimedOut"/>; it may still finish later).
/// </summary>
internal sealed class AwsOperationException(string operation, string? requestId, string? status, string? failureReason, bool timedOut, TimeSpan waited)
    : Exception(timedOut
        ? $"sso-admin {operation} (request {requestId}) was still {status} after {waited.TotalSeconds:0} s; it may finish later, so check its status before retrying."
        : $"sso-admin {operation} (request {requestId}) ended {status ?? "without a status"}: {failureReason ?? "AWS gave no FailureReason"}")
{
    public string Operation { get; } = operation;
    public string? RequestId { get; } = requestId;
    public string? Status { get; } = status;
    public string? FailureReason { get; } = failureReason;
    public bool TimedOut { get; } = timedOut;
}
