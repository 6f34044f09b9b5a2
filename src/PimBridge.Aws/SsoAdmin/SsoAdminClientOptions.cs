namespace PimBridge.Aws.SsoAdmin;

public sealed class SsoAdminClientOptions : AwsClientOptions
{
    /// <summary>Defaults follow the IAM Identity Center quotas: 20 TPS for all admin operations together.</summary>
    public SsoAdminClientOptions() => RequestsPerSecond = 20;

    /// <summary>
    /// Outstanding asynchronous account-assignment operations (creations and deletions) at once. AWS allows 15 and will
    /// not raise it; deletions are counted too because AWS does not say they are exempt. A waiting deletion takes the
    /// next slot freed before any waiting creation.
    /// </summary>
    public int MaxOutstandingAssignmentOperations { get; set; } = 15;

    /// <summary>
    /// First pause before polling an IN_PROGRESS operation; doubles up to <see cref="OperationPollMaxDelay"/>. Account-assignment
    /// operations learn their first pause from AWS's recent pace, from this up to <see cref="OperationPollMaxDelay"/>.
    /// </summary>
    public TimeSpan OperationPollInitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan OperationPollMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the ...AndWait helpers wait for a terminal status before giving up.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMinutes(5);

    internal void ValidateOperations()
    {
        if (MaxOutstandingAssignmentOperations < 1)
            throw new ArgumentException($"sso-admin: MaxOutstandingAssignmentOperations must be at least 1, got {MaxOutstandingAssignmentOperations}.");
        if (OperationPollInitialDelay <= TimeSpan.Zero || OperationPollMaxDelay < OperationPollInitialDelay || OperationTimeout <= TimeSpan.Zero)
            throw new ArgumentException("sso-admin: OperationPollInitialDelay must be positive, OperationPollMaxDelay at least as long, and OperationTimeout positive.");
    }
}
