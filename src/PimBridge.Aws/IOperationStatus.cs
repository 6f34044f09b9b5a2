namespace PimBridge.Aws;

/// <summary>The status of an asynchronous sso-admin operation (assignment creation or deletion, provisioning).</summary>
internal interface IOperationStatus
{
    string? Status { get; }
    string? RequestId { get; }
    string? FailureReason { get; }
}
