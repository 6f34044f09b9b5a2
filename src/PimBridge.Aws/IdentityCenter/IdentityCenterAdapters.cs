using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Core.Ports;

namespace PimBridge.Aws.IdentityCenter;

/// <summary>
/// The three Identity Center adapters over one pair of shared clients. The clients stay the caller's: they carry the
/// process-wide rate limits, so the caller owns and disposes them.
/// </summary>
public sealed class IdentityCenterAdapters
{
    private IdentityCenterAdapters(IEntitlementTarget entitlements, IPermissionSetPolicies policies, IIdentityCenterDirectory directory)
    {
        Entitlements = entitlements;
        Policies = policies;
        Directory = directory;
    }

    public IEntitlementTarget Entitlements { get; }

    public IPermissionSetPolicies Policies { get; }

    public IIdentityCenterDirectory Directory { get; }

    /// <param name="time">The clock the directory's cache and the timing of operations run on; the system clock when null.</param>
    public static IdentityCenterAdapters Create(
        SsoAdminClient ssoAdmin, IdentityStoreClient identityStore, IdentityCenterAdapterOptions options, TimeProvider? time = null) =>
        new(new IdentityCenterEntitlements(ssoAdmin, identityStore, options, time),
            new PermissionSetPolicies(ssoAdmin, options, time),
            new IdentityCenterDirectory(ssoAdmin, identityStore, options, time));
}
