namespace PimBridge.Core.Configuration;

public sealed class AccountAssignmentsTargetOptions
{
    /// <summary>The permission set's name or ARN.</summary>
    public string PermissionSet { get; set; } = "";

    /// <summary>12-digit AWS account ids.</summary>
    public List<string> Accounts { get; set; } = [];
}
