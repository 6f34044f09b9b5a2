using System.Text.Json;
using Microsoft.Graph;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Serialization;
using PimBridge.Core.Ports;

namespace PimBridge.Entra;

/// <summary>
/// Graph's group delta query over the mapped groups' members and owners:
/// <c>GET /groups/delta?$filter=id eq '…' or id eq '…'&amp;$select=members,owners</c>, following
/// <c>@odata.nextLink</c> until the <c>@odata.deltaLink</c>, which is the cursor. A group listed in a round from a
/// cursor had a member or owner added or removed (<c>members@delta</c>, <c>owners@delta</c>, with <c>@removed</c> on
/// removals), or was deleted.
/// </summary>
/// <remarks>
/// Documented (learn.microsoft.com/graph/api/group-delta): at most 50 ids in the filter; <c>$select=members</c> tracks
/// membership and any directoryObject relationship (owners) may be selected too; only selected properties make a group
/// appear. learn.microsoft.com/graph/delta-query-overview: an expired token answers a 4xx such as
/// <c>syncStateNotFound</c> (directory tokens live seven days), and <c>410 Gone</c> asks for a full resync.
/// Permission: GroupMember.Read.All (application).
/// </remarks>
public sealed class GraphGroupMembershipDelta(GraphServiceClient graph, TimeProvider? time = null) : IGroupMembershipDelta
{
    /// <summary>Graph's documented limit of filtered objects in one delta query.</summary>
    public const int FilterLimit = 50;

    private static readonly string[] Tracked = ["members", "owners"];

    // The error codes Graph answers a cursor it no longer has with (delta-query-overview, "Token duration"; Graph's errors page).
    private static readonly string[] RejectedCursorCodes = ["syncStateNotFound", "syncStateInvalid", "resyncRequired"];

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public int MaxGroupsPerQuery => FilterLimit;

    /// <inheritdoc />
    /// <exception cref="GraphMembershipDeltaException">Graph failed (after the SDK's retries); throttling shows as <see cref="IThrottlingFailure"/>.</exception>
    public async Task<MembershipDeltaRound> ReadAsync(IReadOnlyList<string> groupIds, string? cursor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groupIds);
        if (groupIds.Count == 0 || groupIds.Count > FilterLimit)
            throw new ArgumentOutOfRangeException(nameof(groupIds), groupIds.Count, $"A delta query names 1 to {FilterLimit} groups.");
        var asked = groupIds.Select(g => g.Trim().ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        var changed = new HashSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // The page is read raw, through the same client (authentication, retries, metrics): the SDK's typed answer
        // forgives shapes (a "value" that is not an array reads as an empty list) that must be refused here.
        var request = cursor is null
            ? graph.Groups.Delta.ToGetRequestInformation(rc =>
            {
                rc.QueryParameters.Filter = string.Join(" or ", asked.Order(StringComparer.Ordinal).Select(g => $"id eq '{g.Replace("'", "''", StringComparison.Ordinal)}'"));
                rc.QueryParameters.Select = Tracked;
            })
            : LinkRequest(cursor);
        for (var requests = 1; ; requests++)
        {
            var page = await CallAsync(asked, cursor, request, cancellationToken).ConfigureAwait(false);
            changed.UnionWith(page.Groups);
            if (page.DeltaLink is { } deltaLink)
                return new MembershipDeltaRound(changed, deltaLink, requests);
            if (!seen.Add(page.NextLink!))
                throw new InvalidDataException($"the same @odata.nextLink came twice ({page.NextLink})");
            request = LinkRequest(page.NextLink!);
        }
    }

    private static RequestInformation LinkRequest(string link) => new() { HttpMethod = Method.GET, URI = new Uri(link, UriKind.Absolute) };

    private async Task<DeltaPage> CallAsync(IReadOnlySet<string> groups, string? cursor, RequestInformation request, CancellationToken cancellationToken)
    {
        request.Headers.TryAdd("Accept", "application/json");
        Stream? body;
        try
        {
            body = await graph.RequestAdapter.SendPrimitiveAsync<Stream>(request, Errors, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (cursor is not null && IsCursorRejected(ex))
        {
            throw new DeltaCursorRejectedException(GraphErrors.Describe(ex), ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new GraphMembershipDeltaException(
                $"Graph's group delta over {groups.Count} mapped groups failed: {GraphErrors.Describe(ex)}", ex, _time);
        }

        if (body is null)
            throw new InvalidDataException("a page had no body");
        await using (body.ConfigureAwait(false))
        {
            JsonDocument document;
            try
            {
                document = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"a page was not JSON ({ex.Message})", ex);
            }

            using (document)
                return DeltaPage.Read(document.RootElement);
        }
    }

    private static readonly Dictionary<string, ParsableFactory<IParsable>> Errors = new(StringComparer.OrdinalIgnoreCase)
    {
        ["XXX"] = ODataError.CreateFromDiscriminatorValue,
    };

    /// <summary>One page of the documented shape: the groups it lists and exactly one of the two links.</summary>
    private sealed record DeltaPage(IReadOnlyList<string> Groups, string? NextLink, string? DeltaLink)
    {
        public static DeltaPage Read(JsonElement page)
        {
            if (page.ValueKind != JsonValueKind.Object || !page.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException("a page had no 'value' array");
            var groups = new List<string>();
            foreach (var group in value.EnumerateArray())
            {
                if (group.ValueKind != JsonValueKind.Object || Text(group, "id") is not { Length: > 0 } id)
                    throw new InvalidDataException("a group in the delta had no id");
                foreach (var relationship in Tracked)
                {
                    if (!group.TryGetProperty(relationship + "@delta", out var changes)) continue;
                    if (changes.ValueKind != JsonValueKind.Array || changes.EnumerateArray().Any(c => c.ValueKind != JsonValueKind.Object || Text(c, "id") is null))
                        throw new InvalidDataException($"group {id}'s {relationship}@delta was not an array of objects with ids");
                }

                groups.Add(id.Trim().ToLowerInvariant());
            }

            var next = Link(page, "@odata.nextLink");
            var delta = Link(page, "@odata.deltaLink");
            return (next, delta) switch
            {
                (not null, not null) => throw new InvalidDataException("a page had both an @odata.nextLink and an @odata.deltaLink"),
                (null, null) => throw new InvalidDataException("a page had neither an @odata.nextLink nor an @odata.deltaLink"),
                _ => new DeltaPage(groups, next, delta),
            };
        }

        private static string? Text(JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        private static string? Link(JsonElement page, string name)
        {
            if (!page.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
            return value.ValueKind == JsonValueKind.String && Uri.TryCreate(value.GetString(), UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"
                ? value.GetString()
                : throw new InvalidDataException($"the {name} was not an absolute http(s) URL");
        }
    }

    private static bool IsCursorRejected(Exception ex) =>
        GraphErrors.Status(ex) == 410
        || (ex is ODataError { Error.Code: { } code } && RejectedCursorCodes.Contains(code, StringComparer.OrdinalIgnoreCase));
}
