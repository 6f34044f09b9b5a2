using PimBridge.Core.Configuration;

namespace PimBridge.Testing;

/// <summary>
/// The deployment the engine harness and the adversarial world both run: an Identity Center instance with two
/// permission sets in two accounts, and three mapped Entra groups. "ops-admin" (Ops → Admin in Prod and Staging,
/// 8h cap), "audit-admin" (Audit → Admin in Prod, overlapping ops-admin there) and "platform" (Platform → an Identity
/// Center group assigned ReadOnly in Prod and Admin in Staging).
/// </summary>
public static class ExampleDeployment
{
    public const string InstanceArn = "arn:aws:sso:::instance/ssoins-0123456789abcdef";
    public const string IdentityStoreId = "d-1234567890";
    public const string Admin = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-admin00000000000";
    public const string ReadOnly = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-readonly00000000";
    public const string Prod = "111111111111";
    public const string Staging = "222222222222";
    public const string OpsGroup = "11111111-1111-1111-1111-111111111111";
    public const string AuditGroup = "22222222-2222-2222-2222-222222222222";
    public const string PlatformGroup = "33333333-3333-3333-3333-333333333333";
    public const string IdcPlatformGroup = "9067aaaa-0000-4000-8000-000000000001";

    /// <summary>The configuration, with the platform mapping's Identity Center group named as the caller resolves it (by id or display name).</summary>
    public static PimBridgeOptions Options(IdentityCenterGroupTargetOptions platformGroup) => new()
    {
        IdentityCenter = new() { InstanceArn = InstanceArn, IdentityStoreId = IdentityStoreId, Region = "eu-west-1" },
        Mappings =
        [
            new() { Name = "ops-admin", EntraGroupId = OpsGroup, MaxDuration = "8h", AccountAssignments = new() { PermissionSet = "Admin", Accounts = [Prod, Staging] } },
            new() { Name = "audit-admin", EntraGroupId = AuditGroup, AccountAssignments = new() { PermissionSet = Admin, Accounts = [Prod] } },
            new() { Name = "platform", EntraGroupId = PlatformGroup, IdentityCenterGroup = platformGroup },
        ],
    };
}
