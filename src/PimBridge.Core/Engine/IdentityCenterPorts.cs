namespace PimBridge.Core;

/// <summary>The AWS-side collaborators the enforcer acts through.</summary>
public sealed record IdentityCenterPorts(IEntitlementTarget Entitlements, IPermissionSetPolicies Policies, IIdentityCenterDirectory Directory, IUserMapping Users);
