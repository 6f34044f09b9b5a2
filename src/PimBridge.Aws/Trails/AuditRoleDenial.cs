namespace PimBridge.Aws.Trails;

/// <summary>
/// One account (and Region) whose CloudTrail could not be read because AWS refused: the audit role could not be assumed,
/// or the assumed role may not call LookupEvents.
/// </summary>
/// <param name="AccountId">The member account.</param>
/// <param name="Region">The Region of the refused LookupEvents call; null when AssumeRole itself was refused.</param>
/// <param name="RoleArn">The audit role.</param>
/// <param name="Operation"><c>sts:AssumeRole</c> or <c>cloudtrail:LookupEvents</c>.</param>
/// <param name="AwsMessage">What AWS said.</param>
internal sealed record AuditRoleDenial(string AccountId, string? Region, string RoleArn, string Operation, string AwsMessage)
{
    public const string AssumeRole = "sts:AssumeRole";
    public const string LookupEvents = "cloudtrail:LookupEvents";

    /// <summary>What was refused and what to change so it is not.</summary>
    public string Explain(string? externalId) => Operation == AssumeRole
        ? $"account {AccountId}: {AssumeRole} on {RoleArn} was denied ({AwsMessage}). The role must exist in that account; its trust policy must allow "
          + $"sts:AssumeRole by the principal PimBridge runs as{(string.IsNullOrEmpty(externalId) ? "" : $" with the condition sts:ExternalId = \"{externalId}\"")}; "
          + "that principal's own policies must allow sts:AssumeRole on the role; and no SCP may deny it."
        : $"account {AccountId}, {Region}: {LookupEvents} as {RoleArn} was denied ({AwsMessage}). Give the role a policy allowing cloudtrail:LookupEvents "
          + "(for example the AWS managed AWSCloudTrail_ReadOnlyAccess), and check that no SCP denies it in that Region.";
}
