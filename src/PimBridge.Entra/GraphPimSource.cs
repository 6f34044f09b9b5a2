using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Entra;

/// <summary>
/// PIM for Groups through Microsoft Graph: a group's assignment schedule instances (activations and standing
/// assignments) are the snapshot, and the assignment schedule requests say why. Principals are resolved to users
/// (user principal name, mail) and cached on the injected clock.
/// </summary>
/// <remarks>
/// Graph permissions (application): PrivilegedAssignmentSchedule.Read.AzureADGroup (instances),
/// PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup (requests: whether Read suffices is unverified), User.Read.All.
/// </remarks>
public sealed class GraphPimSource : IPimSource
{
    /// <summary>
    /// Activations always have a start; a standing assignment without one started "before anything": a fixed instant,
    /// so the grant derived from it keeps one id across snapshots.
    /// </summary>
    public static readonly DateTimeOffset UnknownStart = DateTimeOffset.UnixEpoch;

    // Instance ids are matched with requests by schedule id; Graph writes the request's schedule start with more
    // precision than the instance's start (7 digits against 3), so "at or before" allows this much.
    private static readonly TimeSpan StartTolerance = TimeSpan.FromSeconds(1);

    private static readonly string[] InstanceFields =
        ["id", "principalId", "groupId", "accessId", "assignmentType", "memberType", "startDateTime", "endDateTime", "assignmentScheduleId"];

    private static readonly string[] UserFields = ["id", "userPrincipalName", "mail"];

    private readonly GraphServiceClient _graph;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly PrincipalCache<EntraPrincipal?> _principals;

    // Instance id → its assignment schedule id, from each group's latest snapshot: the Activation record has no room
    // for it, and it is what ties an activation to the request that created it.

    /// <param name="logger">Required: instances PIMBridge skips (unknown access or assignment types, foreign groups, no start) are reported only here and in a metric.</param>
    public GraphPimSource(GraphServiceClient graph, ILogger<GraphPimSource> logger, TimeProvider? time = null, TimeSpan? principalCacheTtl = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(logger);
        var ttl = principalCacheTtl ?? EntraOptions.DefaultPrincipalCacheTtl;
        ArgumentOutOfRangeException.ThrowIfLessThan(ttl, TimeSpan.Zero, nameof(principalCacheTtl));
        _graph = graph;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _principals = new PrincipalCache<EntraPrincipal?>(ttl, _time);
    }

    /// <summary>A source with <see cref="EntraOptions.PrincipalCacheTtl"/> as the principal cache lifetime.</summary>
    public GraphPimSource(GraphServiceClient graph, EntraOptions options, ILogger<GraphPimSource> logger, TimeProvider? time = null)
        : this(graph, logger, time, (options ?? throw new ArgumentNullException(nameof(options))).PrincipalCacheTtlValue)
    {
    }

    /// <inheritdoc />
    /// <exception cref="GraphPimException">Graph failed for a group (after the SDK's retries); the message names the group.</exception>
    public async Task<PimSnapshot> GetSnapshotAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groupIds);
        var groups = groupIds.Select(g => g.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();
        var activations = new List<Activation>();
        foreach (var group in groups)
            activations.AddRange(await ReadGroupAsync(group, cancellationToken).ConfigureAwait(false));
        return new PimSnapshot(groups, activations);
    }

    private async Task<List<Activation>> ReadGroupAsync(string group, CancellationToken cancellationToken)
    {
        List<PrivilegedAccessGroupAssignmentScheduleInstance> instances;
        try
        {
            instances = await ListInstancesAsync(group, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new GraphPimException(group, $"PIM for Groups: listing the assignment schedule instances of group {group} failed: {GraphErrors.Describe(ex)}", ex, _time);
        }

        var activations = new List<Activation>();
        foreach (var instance in instances)
        {
            if (await MapAsync(group, instance, cancellationToken).ConfigureAwait(false) is { } activation)
                activations.Add(activation);
        }

        return activations;
    }

    private async Task<List<PrivilegedAccessGroupAssignmentScheduleInstance>> ListInstancesAsync(string group, CancellationToken cancellationToken)
    {
        var builder = _graph.IdentityGovernance.PrivilegedAccess.Group.AssignmentScheduleInstances;
        // groupId is the one filter Graph requires; filtering assignmentType as well is unverified, so it is done here.
        var first = await builder.GetAsync(rc =>
        {
            rc.QueryParameters.Filter = $"groupId eq '{Quote(group)}'";
            rc.QueryParameters.Select = InstanceFields;
        }, cancellationToken).ConfigureAwait(false);
        return await ReadAllPagesAsync(first, page => page.Value, next => builder.WithUrl(next).GetAsync(cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Every item of a paged Graph collection. A page that is not the documented collection (no <c>value</c> array,
    /// for example a single object or an empty body) is a malformed answer, never an empty one: read as "nothing",
    /// it would end every grant of the group.
    /// </summary>
    private static async Task<List<T>> ReadAllPagesAsync<TPage, T>(TPage? first, Func<TPage, List<T>?> value, Func<string, Task<TPage?>> fetch)
        where TPage : BaseCollectionPaginationCountResponse
    {
        var all = new List<T>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var page = first;
        while (true)
        {
            if (page is null || value(page) is not { } items)
                throw new InvalidDataException("Graph answered with something other than the documented collection (no 'value' array); nothing was read.");
            all.AddRange(items.Where(i => i is not null));
            var next = page.OdataNextLink;
            if (string.IsNullOrEmpty(next)) return all;
            if (!seen.Add(next)) throw new InvalidOperationException($"Graph returned the same @odata.nextLink twice ({next}); paging stopped.");
            page = await fetch(next).ConfigureAwait(false);
        }
    }

    private async Task<Activation?> MapAsync(string group, PrivilegedAccessGroupAssignmentScheduleInstance instance, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(instance.Id) || string.IsNullOrWhiteSpace(instance.PrincipalId))
            return Skip(group, instance, "no-id", "it has no id or principalId");
        if (instance.GroupId is { } groupId && !string.Equals(groupId.Trim(), group, StringComparison.OrdinalIgnoreCase))
            return Skip(group, instance, "other-group", $"it belongs to group {groupId}");

        // Kiota matches enum strings exactly, then case-insensitively ("Member", "member", "MEMBER" all parse); any
        // other string arrives as null, and "unknownFutureValue" as UnknownFutureValue. The raw string is gone either
        // way, so an unknown value is never guessed at.
        PimAccess access;
        switch (instance.AccessId)
        {
            case PrivilegedAccessGroupRelationships.Member: access = PimAccess.Member; break;
            case PrivilegedAccessGroupRelationships.Owner: access = PimAccess.Owner; break;
            default: return Skip(group, instance, "unknown-access", $"its accessId is {Describe(instance.AccessId)}, neither member nor owner");
        }

        // Only a clear "assigned" is permanent and only a clear "activated" is an activation. An unknown assignment
        // type (a value newer than this SDK, which arrives as null or UnknownFutureValue) is skipped: calling it an
        // activation would let a standing assignment through a mapping that counts only activations, and calling it
        // permanent would hide an activation's end. The skip is logged, and the next SDK that knows the value maps it.
        bool permanent;
        switch (instance.AssignmentType)
        {
            case PrivilegedAccessGroupAssignmentType.Assigned: permanent = true; break;
            case PrivilegedAccessGroupAssignmentType.Activated: permanent = false; break;
            default: return Skip(group, instance, "unknown-assignment-type", $"its assignmentType is {Describe(instance.AssignmentType)}, neither assigned nor activated");
        }

        // Membership inherited through another group: the principal is not a user holding the assignment directly.
        if (instance.MemberType == PrivilegedAccessGroupMemberType.Group)
            return Skip(group, instance, "inherited", "its memberType is group (inherited through a group)", unexpected: false);

        DateTimeOffset start;
        if (instance.StartDateTime is { } s) start = s;
        else if (permanent) start = UnknownStart;
        else return Skip(group, instance, "no-start", "it is an activation without a startDateTime");

        var principal = await ResolveAsync(group, instance.PrincipalId.Trim().ToLowerInvariant(), cancellationToken).ConfigureAwait(false);
        if (principal is null)
            return Skip(group, instance, "not-a-user", "its principal is not a user", unexpected: false);
        if (!permanent && instance.EndDateTime is null)
            _logger.LogWarning("PIM for Groups: activation {Instance} of group {Group} (principal {Principal}) has no endDateTime; its access is held to PIM's longest activation ({Hours} hours) unless the mapping caps it sooner.",
                instance.Id, group, instance.PrincipalId, MappingRule.LongestActivation.TotalHours);

        return new Activation(instance.Id, principal, group, access, start, instance.EndDateTime, permanent,
            string.IsNullOrWhiteSpace(instance.AssignmentScheduleId) ? null : instance.AssignmentScheduleId);
    }

    /// <summary>Logs why an instance is left out: at Warning when Graph sent something this code does not understand, else Debug.</summary>
    private static readonly Counter<long> Skipped = GraphMetricsHandler.Meter.CreateCounter<long>(
        "pimbridge.pim.instances_skipped", "{instance}", "PIM assignment schedule instances read but not turned into activations, by reason");

    private Activation? Skip(string group, PrivilegedAccessGroupAssignmentScheduleInstance instance, string reason, string why, bool unexpected = true)
    {
        Skipped.Add(1, new KeyValuePair<string, object?>("reason", reason));
        _logger.Log(unexpected ? LogLevel.Warning : LogLevel.Debug,
            "PIM for Groups: skipped assignment schedule instance {Instance} of group {Group} (principal {Principal}): {Reason}.",
            instance.Id, group, instance.PrincipalId, why);
        return null;
    }

    private static string Describe<T>(T? value) where T : struct, Enum => value is { } v ? v.ToString() : "missing or unknown";

    /// <summary>The principal as a user, or null when it is not one (a group, a service principal, or gone); cached either way.</summary>
    private async Task<EntraPrincipal?> ResolveAsync(string group, string principalId, CancellationToken cancellationToken)
    {
        try
        {
            return await _principals.GetOrLoadAsync(principalId, LoadPrincipalAsync, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new GraphPimException(group, $"PIM for Groups: resolving principal {principalId} of group {group} failed: {GraphErrors.Describe(ex)}", ex, _time);
        }
    }

    private async Task<EntraPrincipal?> LoadPrincipalAsync(string principalId, CancellationToken cancellationToken)
    {
        try
        {
            var user = await _graph.Users[principalId].GetAsync(rc => rc.QueryParameters.Select = UserFields, cancellationToken).ConfigureAwait(false);
            return user is null ? null : new EntraPrincipal(principalId, Blank(user.UserPrincipalName), Blank(user.Mail));
        }
        catch (Exception ex) when (GraphErrors.IsNotFound(ex))
        {
            // /users/{id} answers 404 for groups and service principals; ask the directory what the object is.
        }

        DirectoryObject? directoryObject;
        try
        {
            directoryObject = await _graph.DirectoryObjects[principalId].GetAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (GraphErrors.IsNotFound(ex))
        {
            _logger.LogDebug("PIM for Groups: principal {Principal} no longer exists in the directory.", principalId);
            return null;
        }

        if (directoryObject is User)
        {
            // A user /users/{id} did not find a moment ago (directory replication): keep the id; identity mapping
            // reports it as unmapped if it needs the names, and the cache entry expires with the TTL.
            return new EntraPrincipal(principalId);
        }

        _logger.LogDebug("PIM for Groups: principal {Principal} is a {Type}, not a user.", principalId, directoryObject?.OdataType ?? "missing object");
        return null;
    }

    /// <inheritdoc />
    public async Task<ActivationRequest?> GetActivationRequestAsync(Activation activation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(activation);
        var group = activation.GroupId.Trim().ToLowerInvariant();
        var principal = activation.Principal.Id.Trim().ToLowerInvariant();
        List<PrivilegedAccessGroupAssignmentScheduleRequest> requests;
        try
        {
            requests = await ListRequestsAsync(group, principal, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new GraphPimException(group, $"PIM for Groups: listing the assignment schedule requests of principal {principal} in group {group} failed: {GraphErrors.Describe(ex)}", ex, _time);
        }

        var access = activation.Access == PimAccess.Owner ? PrivilegedAccessGroupRelationships.Owner : PrivilegedAccessGroupRelationships.Member;
        // The filter asked Graph for this principal's requests in this group; the answer is checked, not trusted, so
        // another person's justification never lands in this grant's audit record.
        var candidates = requests
            .Where(r => !string.IsNullOrWhiteSpace(r.Id))
            .Where(r => string.Equals(r.PrincipalId?.Trim(), principal, StringComparison.OrdinalIgnoreCase))
            .Where(r => string.Equals(r.GroupId?.Trim(), group, StringComparison.OrdinalIgnoreCase))
            .Where(r => r.AccessId is null || r.AccessId == access)
            .ToList();

        PrivilegedAccessGroupAssignmentScheduleRequest? match = null;
        if (activation.ScheduleId is { } scheduleId)
        {
            // The request that created (or extended) this schedule: prefer the activation itself, then the latest.
            match = candidates
                .Where(r => string.Equals(r.TargetScheduleId, scheduleId, StringComparison.OrdinalIgnoreCase))
                .OrderByDescending(r => r.Action == ScheduleRequestActions.SelfActivate)
                .ThenByDescending(r => r.CreatedDateTime ?? DateTimeOffset.MinValue)
                .FirstOrDefault();
        }

        // Without the schedule id (Graph did not send one): the latest self-activation that took effect at or
        // before the activation started and was not denied, canceled or failed.
        match ??= candidates
            .Where(r => r.Action == ScheduleRequestActions.SelfActivate && !Unsuccessful(r.Status))
            .Where(r => (r.ScheduleInfo?.StartDateTime ?? r.CreatedDateTime) is { } start && start <= activation.Start + StartTolerance)
            .OrderByDescending(r => r.ScheduleInfo?.StartDateTime ?? r.CreatedDateTime)
            .ThenByDescending(r => r.CreatedDateTime ?? DateTimeOffset.MinValue)
            .FirstOrDefault();

        return match is null
            ? null
            : new ActivationRequest(match.Id!, Blank(match.Justification), Blank(match.TicketInfo?.TicketNumber), Blank(match.TicketInfo?.TicketSystem), match.CreatedDateTime);
    }

    private static bool Unsuccessful(string? status) =>
        status is not null && (status.Equals("Denied", StringComparison.OrdinalIgnoreCase)
            || status.Equals("Canceled", StringComparison.OrdinalIgnoreCase)
            || status.Equals("Failed", StringComparison.OrdinalIgnoreCase));

    private async Task<List<PrivilegedAccessGroupAssignmentScheduleRequest>> ListRequestsAsync(string group, string principal, CancellationToken cancellationToken)
    {
        var builder = _graph.IdentityGovernance.PrivilegedAccess.Group.AssignmentScheduleRequests;
        var first = await builder.GetAsync(rc => rc.QueryParameters.Filter = $"groupId eq '{Quote(group)}' and principalId eq '{Quote(principal)}'", cancellationToken).ConfigureAwait(false);
        return await ReadAllPagesAsync(first, page => page.Value, next => builder.WithUrl(next).GetAsync(cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>An OData string literal's content: single quotes doubled.</summary>
    private static string Quote(string value) => value.Replace("'", "''", StringComparison.Ordinal);

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
