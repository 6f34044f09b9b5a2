using PimBridge.Core.Domain;
using PimBridge.Core.Fences;
using PimBridge.Core.Ports;
namespace PimBridge.Core.Engine;

/// <summary>The AWS-side collaborators the enforcer acts through.</summary>
public sealed record IdentityCenterPorts(IEntitlementTarget Entitlements, IPermissionSetPolicies Policies, IIdentityCenterDirectory Directory, IUserMapping Users);
