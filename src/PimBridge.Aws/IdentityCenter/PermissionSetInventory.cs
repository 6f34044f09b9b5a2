namespace PimBridge.Aws.IdentityCenter;

/// <summary>A permission set as <see cref="IdentityCenterInventory"/> reads it: its name, and the accounts it is provisioned to (sorted).</summary>
public sealed record PermissionSetInventory(string Arn, string Name, string? Description, IReadOnlyList<string> Accounts);
