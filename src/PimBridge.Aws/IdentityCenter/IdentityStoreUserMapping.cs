using System.Collections.Concurrent;
using PimBridge.Aws.IdentityStore;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Aws.IdentityCenter;

/// <summary>
/// Finds an Entra user's Identity Center user with <c>GetUserId</c>: by default the Entra userPrincipalName matched to
/// the Identity Center <c>userName</c>, or the Entra mail matched to <c>emails.value</c>. The user name returned is the
/// one Identity Center holds (it names role sessions, which the gap detector matches). Results are cached: a found
/// user for long, a missing one briefly, so a user provisioned after an alert is picked up soon.
/// </summary>
public sealed class IdentityStoreUserMapping : IUserMapping
{
    public static readonly TimeSpan DefaultFoundTtl = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan DefaultMissingTtl = TimeSpan.FromMinutes(1);

    private readonly IdentityStoreClient _identityStore;
    private readonly string _identityStoreId;
    private readonly bool _byMail;
    private readonly TimeProvider _time;
    private readonly TimeSpan _foundTtl;
    private readonly TimeSpan _missingTtl;
    private readonly ConcurrentDictionary<string, (IdentityCenterUser? User, DateTimeOffset ExpiresAt)> _cache = new(StringComparer.OrdinalIgnoreCase);

    /// <param name="matchUsersBy"><c>userPrincipalName</c> or <c>mail</c> (configuration's IdentityCenter.MatchUsersBy).</param>
    public IdentityStoreUserMapping(IdentityStoreClient identityStore, string identityStoreId, string matchUsersBy = "userPrincipalName",
        TimeProvider? time = null, TimeSpan? foundTtl = null, TimeSpan? missingTtl = null)
    {
        ArgumentNullException.ThrowIfNull(identityStore);
        ArgumentException.ThrowIfNullOrWhiteSpace(identityStoreId);
        _byMail = matchUsersBy.Equals("mail", StringComparison.OrdinalIgnoreCase);
        if (!_byMail && !matchUsersBy.Equals("userPrincipalName", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"matchUsersBy must be 'userPrincipalName' or 'mail', got '{matchUsersBy}'.", nameof(matchUsersBy));
        _identityStore = identityStore;
        _identityStoreId = identityStoreId;
        _time = time ?? TimeProvider.System;
        _foundTtl = foundTtl ?? DefaultFoundTtl;
        _missingTtl = missingTtl ?? DefaultMissingTtl;
    }

    public string Describe => _byMail ? "Entra mail → Identity Center emails.value" : "Entra userPrincipalName → Identity Center userName";

    public async Task<IdentityCenterUser?> FindAsync(EntraPrincipal principal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var value = _byMail ? principal.Mail : principal.UserPrincipalName;
        if (string.IsNullOrWhiteSpace(value))
            return null; // the Entra user has no such attribute: nothing to match on (the engine alerts, naming the attribute)

        if (_cache.TryGetValue(value, out var cached) && _time.GetUtcNow() < cached.ExpiresAt)
            return cached.User;
        var user = await LookUpAsync(value, cancellationToken).ConfigureAwait(false);
        _cache[value] = (user, _time.GetUtcNow() + (user is null ? _missingTtl : _foundTtl));
        return user;
    }

    private async Task<IdentityCenterUser?> LookUpAsync(string value, CancellationToken cancellationToken)
    {
        string? userId;
        try
        {
            userId = (await _identityStore.GetUserIdAsync(new GetUserIdRequest
            {
                IdentityStoreId = _identityStoreId,
                AlternateIdentifier = AlternateIdentifier.ByAttribute(_byMail ? UniqueAttributePaths.Email : UniqueAttributePaths.UserName, value),
            }, cancellationToken).ConfigureAwait(false)).UserId;
        }
        catch (AwsServiceException e) when (e.IsNotFound && e.ResourceType is null or "USER")
        {
            return null;
        }

        if (string.IsNullOrEmpty(userId))
            return null;
        var user = await _identityStore.DescribeUserAsync(new DescribeUserRequest { IdentityStoreId = _identityStoreId, UserId = userId }, cancellationToken).ConfigureAwait(false);
        return new IdentityCenterUser(userId, user.UserName ?? value);
    }
}
