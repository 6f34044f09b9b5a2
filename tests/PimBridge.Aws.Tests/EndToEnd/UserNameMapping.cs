using PimBridge.Aws.IdentityStore;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Aws.Tests.EndToEnd;

/// <summary>
/// The identity mapping production will use, reduced to one rule: the Entra principal's UPN is the Identity Center
/// user name, looked up with the real <c>GetUserId</c>. A user Identity Center does not know maps to null.
/// </summary>
public sealed class UserNameMapping(IdentityStoreClient identityStore, string identityStoreId) : IUserMapping
{
    public string Describe => "userPrincipalName → userName";

    public async Task<IdentityCenterUser?> FindAsync(EntraPrincipal principal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(principal);
        if (string.IsNullOrWhiteSpace(principal.UserPrincipalName))
            return null;
        try
        {
            var found = await identityStore.GetUserIdAsync(new GetUserIdRequest
            {
                IdentityStoreId = identityStoreId,
                AlternateIdentifier = AlternateIdentifier.ByAttribute(UniqueAttributePaths.UserName, principal.UserPrincipalName),
            }, cancellationToken);
            return found.UserId is { Length: > 0 } userId ? new IdentityCenterUser(userId, principal.UserPrincipalName) : null;
        }
        catch (AwsServiceException e) when (e.IsNotFound && e.ResourceType is null or "USER")
        {
            return null;
        }
    }
}
