namespace PimBridge.Sandbox;

/// <summary>The ids moto gave what the sandbox created.</summary>
public sealed record SeededIdentityCenter(
    string InstanceArn,
    string IdentityStoreId,
    IReadOnlyDictionary<string, string> UserIds,
    IReadOnlyDictionary<string, string> GroupIds,
    IReadOnlyDictionary<string, string> PermissionSetArns);
