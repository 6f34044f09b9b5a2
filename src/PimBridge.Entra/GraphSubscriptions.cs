using System.Collections.Concurrent;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using PimBridge.Core.Ports;

namespace PimBridge.Entra;

/// <summary>
/// Keeps a Graph change subscription on <c>/groups/{id}/members</c> of every mapped group, and on
/// <c>/groups/{id}/owners</c> of groups with an owner mapping, delivering <c>updated</c> changes and lifecycle events to
/// the Event Grid partner topic. Existing subscriptions are found by listing the application's subscriptions and
/// matching their resource; missing ones are created, ones with less than <see cref="EntraSubscriptionOptions.RenewBefore"/>
/// left are renewed to <see cref="EntraSubscriptionOptions.Lifetime"/> ahead (never less than 3 hours, never more than
/// 41,760 minutes).
/// </summary>
/// <remarks>Graph permission (application): Group.Read.All.</remarks>
internal sealed class GraphSubscriptions : IGraphSubscriptions
{
    /// <inheritdoc />
    public string? ClientState => _options.ClientState;

    /// <summary>Group changes (membership included) arrive as <c>updated</c>; creation and soft deletion do too.</summary>
    public const string ChangeType = "updated";

    private readonly GraphServiceClient _graph;
    private readonly EntraSubscriptionOptions _options;
    private readonly TimeProvider _time;
    private readonly IReadOnlyList<(string GroupId, string Resource)> _targets;

    // Resource → (subscription id, expiry) as last seen or set, to tell a recreation from a first creation and to
    // name the group of a reauthorization without another call.
    private readonly ConcurrentDictionary<string, (string Id, DateTimeOffset? ExpiresAt)> _known = new(StringComparer.Ordinal);

    /// <param name="groupIds">Every mapped Entra group: each gets a members subscription.</param>
    /// <param name="ownerGroupIds">Groups with an owner mapping: each also gets an owners subscription.</param>
    /// <exception cref="PimBridge.Core.Configuration.ConfigurationException">The subscription settings are invalid (each problem names its field).</exception>
    public GraphSubscriptions(GraphServiceClient graph, EntraSubscriptionOptions options, IEnumerable<string> groupIds, IEnumerable<string>? ownerGroupIds = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(groupIds);
        options.Validate();
        _graph = graph;
        _options = options;
        _time = time ?? TimeProvider.System;
        var owners = (ownerGroupIds ?? []).Select(Normalize).ToHashSet(StringComparer.Ordinal);
        var members = groupIds.Select(Normalize).Concat(owners).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var targets = new List<(string, string)>();
        foreach (var group in members)
        {
            targets.Add((group, MembersResource(group)));
            if (owners.Contains(group)) targets.Add((group, OwnersResource(group)));
        }

        _targets = targets;
    }

    /// <summary>The resource of a group's members subscription, <c>/groups/{id}/members</c>.</summary>
    public static string MembersResource(string groupId) => $"/groups/{Normalize(groupId)}/members";

    /// <summary>The resource of a group's owners subscription, <c>/groups/{id}/owners</c>.</summary>
    public static string OwnersResource(string groupId) => $"/groups/{Normalize(groupId)}/owners";

    /// <summary>Every (group, resource) this instance keeps subscribed.</summary>
    public IReadOnlyList<(string GroupId, string Resource)> Targets => _targets;

    /// <inheritdoc />
    /// <remarks>
    /// A failure for one subscription is reported as a <c>failed</c> action and the others go on; a failure to list
    /// the existing subscriptions throws, since nothing can be decided without them.
    /// </remarks>
    public async Task<SubscriptionReport> EnsureAsync(CancellationToken cancellationToken = default)
    {
        var existing = await ListAsync(cancellationToken).ConfigureAwait(false);
        var byResource = existing
            .Where(s => !string.IsNullOrWhiteSpace(s.Resource) && !string.IsNullOrWhiteSpace(s.Id))
            .ToLookup(s => Key(s.Resource!), StringComparer.Ordinal);
        var actions = new List<SubscriptionAction>();
        foreach (var (group, resource) in _targets)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = Key(resource);
            // Duplicates (from an earlier crash between create and record) are left to expire; the longest-lived is kept.
            var current = byResource[key].OrderByDescending(s => s.ExpirationDateTime ?? DateTimeOffset.MinValue).FirstOrDefault();
            try
            {
                actions.Add(current is null
                    ? await CreateAsync(group, resource, _known.ContainsKey(key) ? "recreated" : "created", cancellationToken).ConfigureAwait(false)
                    : await KeepAsync(group, resource, current, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                actions.Add(new SubscriptionAction(group, resource, "failed", current?.Id, current?.ExpirationDateTime, GraphErrors.Describe(ex)));
            }
        }

        return new SubscriptionReport(actions);
    }

    private async Task<SubscriptionAction> KeepAsync(string group, string resource, Subscription current, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (current.ExpirationDateTime is { } expires && expires - now >= _options.RenewBeforeValue)
        {
            _known[Key(resource)] = (current.Id!, expires);
            return new SubscriptionAction(group, resource, "unchanged", current.Id, expires);
        }

        try
        {
            var renewed = await RenewAsync(current.Id!, cancellationToken).ConfigureAwait(false);
            _known[Key(resource)] = (current.Id!, renewed);
            return new SubscriptionAction(group, resource, "renewed", current.Id, renewed);
        }
        catch (Exception ex) when (GraphErrors.IsNotFound(ex))
        {
            // Expired and removed between the list and the renewal: make a new one (same partner topic, as Graph asks).
            return await CreateAsync(group, resource, "recreated", cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<SubscriptionAction> CreateAsync(string group, string resource, string action, CancellationToken cancellationToken)
    {
        var url = _options.NotificationUrl;
        var expires = NewExpiry();
        var created = await _graph.Subscriptions.PostAsync(new Subscription
        {
            ChangeType = ChangeType,
            Resource = resource,
            NotificationUrl = url,
            LifecycleNotificationUrl = url,
            ClientState = _options.ClientState,
            ExpirationDateTime = expires,
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (created?.Id is not { Length: > 0 } id)
            throw new InvalidOperationException($"Graph created no subscription for {resource} (its answer had no id).");
        var expiresAt = created.ExpirationDateTime ?? expires;
        _known[Key(resource)] = (id, expiresAt);
        return new SubscriptionAction(group, resource, action, id, expiresAt);
    }

    /// <summary>PATCHes the expiry to <see cref="NewExpiry"/>; returns the expiry Graph reports (or the one asked for).</summary>
    private async Task<DateTimeOffset> RenewAsync(string subscriptionId, CancellationToken cancellationToken)
    {
        var expires = NewExpiry();
        var updated = await _graph.Subscriptions[subscriptionId].PatchAsync(new Subscription { ExpirationDateTime = expires }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return updated?.ExpirationDateTime ?? expires;
    }

    /// <summary>Now plus the lifetime: at least 3 hours (and a skew margin) ahead for Event Grid, at most 41,760 minutes.</summary>
    private DateTimeOffset NewExpiry()
    {
        var lifetime = TimeSpan.FromTicks(Math.Clamp(_options.LifetimeValue.Ticks, EntraSubscriptionOptions.MinimumLifetime.Ticks, EntraSubscriptionOptions.MaximumLifetime.Ticks));
        return _time.GetUtcNow() + lifetime;
    }

    /// <inheritdoc />
    /// <remarks>POST /subscriptions/{id}/reauthorize; if that fails for any reason, a renewal PATCH (which reauthorizes too).</remarks>
    public async Task<SubscriptionAction> ReauthorizeAsync(string subscriptionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(subscriptionId);
        var known = _known.FirstOrDefault(k => string.Equals(k.Value.Id, subscriptionId, StringComparison.OrdinalIgnoreCase));
        var resource = known.Key is null ? "" : _targets.FirstOrDefault(t => Key(t.Resource) == known.Key).Resource ?? known.Key;
        var group = GroupOf(resource);
        try
        {
            await _graph.Subscriptions[subscriptionId].Reauthorize.PostAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            if (known.Key is not null)
                return new SubscriptionAction(group, resource, "reauthorized", subscriptionId, known.Value.ExpiresAt);
            // Not seen by this instance (a restart since): read it, best effort, to say which group it serves.
            var read = await TryGetAsync(subscriptionId, cancellationToken).ConfigureAwait(false);
            return new SubscriptionAction(GroupOf(read?.Resource ?? ""), read?.Resource ?? "", "reauthorized", subscriptionId, read?.ExpirationDateTime);
        }
        catch (Exception reauthorizeError) when (reauthorizeError is not OperationCanceledException)
        {
            try
            {
                var expires = NewExpiry();
                var updated = await _graph.Subscriptions[subscriptionId].PatchAsync(new Subscription { ExpirationDateTime = expires }, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (string.IsNullOrEmpty(resource) && updated?.Resource is { Length: > 0 } r)
                {
                    resource = r;
                    group = GroupOf(r);
                }

                var expiresAt = updated?.ExpirationDateTime ?? expires;
                if (!string.IsNullOrEmpty(resource)) _known[Key(resource)] = (subscriptionId, expiresAt);
                return new SubscriptionAction(group, resource, "renewed", subscriptionId, expiresAt,
                    $"reauthorize failed ({GraphErrors.Describe(reauthorizeError)}); renewed instead");
            }
            catch (Exception renewError) when (renewError is not OperationCanceledException)
            {
                return new SubscriptionAction(group, resource, "failed", subscriptionId, null,
                    $"reauthorize failed ({GraphErrors.Describe(reauthorizeError)}) and so did renewing ({GraphErrors.Describe(renewError)}); the next EnsureAsync recreates the subscription if it is gone");
            }
        }
    }

    private async Task<Subscription?> TryGetAsync(string subscriptionId, CancellationToken cancellationToken)
    {
        try
        {
            return await _graph.Subscriptions[subscriptionId].GetAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return null;
        }
    }

    private async Task<List<Subscription>> ListAsync(CancellationToken cancellationToken)
    {
        try
        {
            var page = await _graph.Subscriptions.GetAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            var all = new List<Subscription>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (page is not null)
            {
                all.AddRange(page.Value?.Where(s => s is not null) ?? []);
                var next = page.OdataNextLink;
                if (string.IsNullOrEmpty(next) || !seen.Add(next)) break;
                page = await _graph.Subscriptions.WithUrl(next).GetAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            return all;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new InvalidOperationException($"Graph subscriptions: listing the existing subscriptions failed: {GraphErrors.Describe(ex)}", ex);
        }
    }

    /// <summary>Resources compare without a leading slash and case-insensitively ("/groups/x/members" = "Groups/X/members").</summary>
    private static string Key(string resource) => resource.Trim().TrimStart('/').ToLowerInvariant();

    private static string GroupOf(string resource)
    {
        var parts = Key(resource).Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && parts[0] == "groups" ? parts[1] : "";
    }

    private static string Normalize(string groupId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        return groupId.Trim().ToLowerInvariant();
    }
}
