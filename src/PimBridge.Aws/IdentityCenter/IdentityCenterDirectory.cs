using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using System.Text.RegularExpressions;
using System.Xml;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Aws.Transport;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Aws.IdentityCenter;

/// <summary>
/// Read-only facts about the Identity Center instance, each cached for <see cref="IdentityCenterAdapterOptions.CacheTtl"/>
/// on the injected clock. Thread-safe; share one instance.
/// </summary>
internal sealed partial class IdentityCenterDirectory : IIdentityCenterDirectory
{
    /// <summary>What a permission set without a <c>SessionDuration</c> gets: AWS's default of one hour.</summary>
    public static readonly TimeSpan DefaultSessionDuration = TimeSpan.FromHours(1);

    private readonly SsoAdminClient _ssoAdmin;
    private readonly IdentityStoreClient _identityStore;
    private readonly IdentityCenterAdapterOptions _options;
    private readonly TimeProvider _time;
    private readonly TtlCache<string, IReadOnlyList<PermissionSetAccount>> _groupAssignments;
    private readonly TtlCache<string, PermissionSet> _permissionSets;
    private readonly TtlCache<string, string> _groupIds;
    private readonly SemaphoreSlim _catalogRefresh = new(1, 1);
    private readonly ConcurrentDictionary<string, SessionDurationRead> _sessionDurationReads = new(StringComparer.Ordinal);

    /// <summary>How long after it was sent a session-duration read still answers for "now" (see <see cref="GetSessionDurationAsync"/>).</summary>
    internal static readonly TimeSpan SessionDurationReadShared = TimeSpan.FromSeconds(1);

    private sealed record SessionDurationRead(Lazy<Task<PermissionSet>> Read, DateTimeOffset SentAt);
    private volatile PermissionSetCatalog _catalog = PermissionSetCatalog.Empty;

    public IdentityCenterDirectory(SsoAdminClient ssoAdmin, IdentityStoreClient identityStore, IdentityCenterAdapterOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(ssoAdmin);
        ArgumentNullException.ThrowIfNull(identityStore);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _ssoAdmin = ssoAdmin;
        _identityStore = identityStore;
        _options = options;
        _time = time ?? TimeProvider.System;
        _groupAssignments = new(options.CacheTtl, _time, StringComparer.OrdinalIgnoreCase);
        _permissionSets = new(options.CacheTtl, _time, StringComparer.Ordinal);
        _groupIds = new(options.CacheTtl, _time, StringComparer.Ordinal);
    }

    public Task<IReadOnlyList<PermissionSetAccount>> GetGroupAssignmentsAsync(string groupId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        return _groupAssignments.GetOrLoadAsync(groupId, LoadGroupAssignmentsAsync, cancellationToken);
    }

    public async Task<TimeSpan> GetSessionDurationAsync(string permissionSetArn, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(permissionSetArn);
        // Read fresh, never from the cache: a duration raised within the cache's lifetime would be missed by the
        // once-a-minute watch and understated at fence planning, and sessions minted under it would outlive the fence.
        // A read sent under a second ago, in flight or answered, is as fresh as a new one would be against that minute,
        // so a burst's grants share it (one read a second, not one per grant); a failed read is never shared after it fails.
        var now = _time.GetUtcNow();
        var read = _sessionDurationReads.AddOrUpdate(permissionSetArn,
            arn => New(arn),
            (arn, shared) => now - shared.SentAt < SessionDurationReadShared ? shared : New(arn));
        var permissionSet = await read.Read.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        return SessionDurationOf(permissionSetArn, permissionSet.SessionDuration);

        SessionDurationRead New(string arn)
        {
            SessionDurationRead? read = null;
            read = new SessionDurationRead(new Lazy<Task<PermissionSet>>(() => ReadOnceAsync(arn, read!)), now);
            return read;
        }

        async Task<PermissionSet> ReadOnceAsync(string arn, SessionDurationRead read)
        {
            try
            {
                // Not the first caller's token: the others wait on this read too (each stops waiting on its own token).
                return await LoadPermissionSetAsync(arn, CancellationToken.None).ConfigureAwait(false);
            }
            catch
            {
                _sessionDurationReads.TryRemove(KeyValuePair.Create(arn, read)); // only this read, never one sent after it
                throw;
            }
        }
    }

    public async Task<string> GetPermissionSetNameAsync(string permissionSetArn, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(permissionSetArn);
        // A name never changes, so the catalog's (built to resolve mapping names) is as good as a describe.
        if (_catalog.NamesByArn.TryGetValue(permissionSetArn, out var known))
            return known;
        var permissionSet = await _permissionSets.GetOrLoadAsync(permissionSetArn, LoadPermissionSetAsync, cancellationToken).ConfigureAwait(false);
        return permissionSet.Name is { Length: > 0 } name
            ? name
            : throw new AwsServiceException(AwsService.SsoAdminName, "DescribePermissionSet", 200, AwsServiceException.MalformedResponse, "the response lacks PermissionSet.Name");
    }

    /// <summary>
    /// An ARN is returned as given: its shape is not checked, since moto's (<c>…:instance/ssoins-…/ps-…</c>) differs from
    /// AWS's. A name is looked up among the instance's permission sets; an unknown name throws
    /// <see cref="IdentityCenterNameNotFoundException"/>.
    /// </summary>
    public async Task<string> ResolvePermissionSetArnAsync(string nameOrArn, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrArn);
        // Permission set names match [\w+=,.@-]+, so nothing that starts with "arn:" is a name.
        if (nameOrArn.StartsWith("arn:", StringComparison.OrdinalIgnoreCase))
            return nameOrArn;

        var catalog = _catalog;
        if (!catalog.IsFresh(_time.GetUtcNow()) || !catalog.ArnsByName.ContainsKey(nameOrArn))
            catalog = await RefreshCatalogAsync(catalog, cancellationToken).ConfigureAwait(false);

        if (!catalog.ArnsByName.TryGetValue(nameOrArn, out var arns))
            throw new IdentityCenterNameNotFoundException("permission set", nameOrArn, $"instance {_options.InstanceArn}", "ARN");
        if (arns.Count > 1)
            throw new InvalidOperationException(
                $"Several permission sets of instance {_options.InstanceArn} are named '{nameOrArn}' ({string.Join(", ", arns)}); configure one by its ARN.");
        return arns[0];
    }

    /// <summary>
    /// An id (a GUID, optionally with a 10-hex-character prefix) is returned as given; a display name is looked up with
    /// <c>GetGroupId</c>. An unknown name throws <see cref="IdentityCenterNameNotFoundException"/>.
    /// </summary>
    public Task<string> ResolveGroupIdAsync(string idOrDisplayName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idOrDisplayName);
        return ResourceId().IsMatch(idOrDisplayName)
            ? Task.FromResult(idOrDisplayName)
            : _groupIds.GetOrLoadAsync(idOrDisplayName, LoadGroupIdAsync, cancellationToken);
    }

    // ---- loaders ----

    private async Task<IReadOnlyList<PermissionSetAccount>> LoadGroupAssignmentsAsync(string groupId, CancellationToken cancellationToken)
    {
        var request = new ListAccountAssignmentsForPrincipalRequest
        {
            InstanceArn = _options.InstanceArn,
            PrincipalId = groupId,
            PrincipalType = PrincipalTypes.Group,
        };
        var assignments = new List<PermissionSetAccount>();
        await foreach (var a in _ssoAdmin.ListAccountAssignmentsForPrincipalAsync(request, cancellationToken).ConfigureAwait(false))
        {
            if (a.PermissionSetArn is { Length: > 0 } arn && a.AccountId is { Length: > 0 } account)
                assignments.Add(new PermissionSetAccount(arn, account));
        }

        return new ReadOnlyCollection<PermissionSetAccount>([.. assignments.Distinct()]);
    }

    /// <summary>One describe serves both the session duration (fences) and the name (gap detection) of a permission set.</summary>
    private async Task<PermissionSet> LoadPermissionSetAsync(string permissionSetArn, CancellationToken cancellationToken)
    {
        DescribePermissionSetResponse described;
        try
        {
            described = await _ssoAdmin.DescribePermissionSetAsync(
                new PermissionSetRequest { InstanceArn = _options.InstanceArn, PermissionSetArn = permissionSetArn }, cancellationToken).ConfigureAwait(false);
        }
        catch (AwsServiceException e) when (e.IsNotFound)
        {
            if (await DeletedPermissionSets.IsDeletedAsync(_ssoAdmin, _options.InstanceArn, permissionSetArn, cancellationToken).ConfigureAwait(false))
                throw new PermissionSetDeletedException(permissionSetArn);
            throw;
        }

        // A missing PermissionSet is a malformed answer, not "no duration": defaulting would understate how long sessions live.
        return described.PermissionSet
            ?? throw new AwsServiceException(AwsService.SsoAdminName, "DescribePermissionSet", 200, AwsServiceException.MalformedResponse, "the response lacks PermissionSet");
    }

    private static TimeSpan SessionDurationOf(string permissionSetArn, string? duration)
    {
        if (string.IsNullOrWhiteSpace(duration))
            return DefaultSessionDuration;
        try
        {
            // ISO-8601 durations, for example PT4H or PT1H30M; XmlConvert reads exactly that form.
            var parsed = XmlConvert.ToTimeSpan(duration.Trim());
            if (parsed > TimeSpan.Zero)
                return parsed;
        }
        catch (FormatException) { }
        catch (OverflowException) { }

        throw new FormatException($"Permission set {permissionSetArn} has SessionDuration '{duration}', which is not a positive ISO-8601 duration such as PT4H.");
    }

    private async Task<string> LoadGroupIdAsync(string displayName, CancellationToken cancellationToken)
    {
        try
        {
            var found = await _identityStore.GetGroupIdAsync(new GetGroupIdRequest
            {
                IdentityStoreId = _options.IdentityStoreId,
                AlternateIdentifier = AlternateIdentifier.ByAttribute(UniqueAttributePaths.GroupDisplayName, displayName),
            }, cancellationToken).ConfigureAwait(false);
            return found.GroupId is { Length: > 0 } id
                ? id
                : throw new AwsServiceException(AwsService.IdentityStoreName, "GetGroupId", 200, AwsServiceException.MalformedResponse, "the response lacks GroupId");
        }
        catch (AwsServiceException e) when (e.IsNotFound)
        {
            throw new IdentityCenterNameNotFoundException("group", displayName, $"identity store {_options.IdentityStoreId}", "id", e);
        }
    }

    /// <summary>
    /// Lists the instance's permission sets and describes the ones not seen before. A permission set's name cannot change
    /// (UpdatePermissionSet does not take one), so a known ARN's name is reused, and a refresh costs one list call per
    /// page plus one describe per new permission set.
    /// </summary>
    private async Task<PermissionSetCatalog> RefreshCatalogAsync(PermissionSetCatalog seen, CancellationToken cancellationToken)
    {
        await _catalogRefresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another caller refreshed while this one waited: use that.
            if (!ReferenceEquals(_catalog, seen) && _catalog.IsFresh(_time.GetUtcNow()))
                return _catalog;

            var known = _catalog.NamesByArn;
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            await foreach (var arn in _ssoAdmin.ListPermissionSetsAsync(new ListPermissionSetsRequest { InstanceArn = _options.InstanceArn }, cancellationToken)
                               .ConfigureAwait(false))
            {
                if (names.ContainsKey(arn))
                    continue;
                if (known.TryGetValue(arn, out var name))
                {
                    names[arn] = name;
                    continue;
                }

                try
                {
                    var described = await _ssoAdmin.DescribePermissionSetAsync(
                        new PermissionSetRequest { InstanceArn = _options.InstanceArn, PermissionSetArn = arn }, cancellationToken).ConfigureAwait(false);
                    if (described.PermissionSet?.Name is { Length: > 0 } describedName)
                        names[arn] = describedName;
                }
                catch (AwsServiceException e) when (e.IsNotFound)
                {
                    // Deleted between the list and the describe.
                }
            }

            return _catalog = new PermissionSetCatalog(names, _time.GetUtcNow() + _options.CacheTtl);
        }
        finally
        {
            _catalogRefresh.Release();
        }
    }

    [GeneratedRegex("^(?:[0-9a-f]{10}-)?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")]
    private static partial Regex ResourceId();

    /// <summary>An immutable snapshot of the instance's permission sets: ARN to name, and name to ARNs.</summary>
    private sealed class PermissionSetCatalog
    {
        public static readonly PermissionSetCatalog Empty = new(new Dictionary<string, string>(), DateTimeOffset.MinValue);

        public PermissionSetCatalog(IReadOnlyDictionary<string, string> namesByArn, DateTimeOffset expiresAt)
        {
            NamesByArn = namesByArn;
            ExpiresAt = expiresAt;
            ArnsByName = namesByArn
                .GroupBy(p => p.Value, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.Select(p => p.Key).Order(StringComparer.Ordinal)], StringComparer.Ordinal);
        }

        public IReadOnlyDictionary<string, string> NamesByArn { get; }

        public IReadOnlyDictionary<string, IReadOnlyList<string>> ArnsByName { get; }

        public DateTimeOffset ExpiresAt { get; }

        public bool IsFresh(DateTimeOffset now) => now < ExpiresAt;
    }
}
