using Microsoft.Graph;
using Microsoft.Graph.Models;
using PimBridge.Core.Domain;

namespace PimBridge.Entra;

/// <summary>
/// Which groups PIM for Groups governs, for <c>pimbridge init --from-entra</c>. Graph has no list of them: its PIM lists
/// need a group (or principal) filter, so every group that PIM can govern (security or Microsoft 365, neither dynamic
/// nor synced from on-premises) is asked for its eligibility schedules, and a group with any is PIM-enabled.
/// </summary>
/// <remarks>
/// Graph permissions (application or delegated): Group.Read.All (or GroupMember.Read.All) to list groups, and
/// PrivilegedEligibilitySchedule.Read.AzureADGroup to read eligibility. One call per candidate group: a tenant with
/// thousands of groups takes minutes.
/// </remarks>
public static class GraphPimGroups
{
    private static readonly string[] GroupFields = ["id", "displayName", "groupTypes", "securityEnabled", "onPremisesSyncEnabled"];
    private static readonly string[] EligibilityFields = ["id", "groupId", "accessId"];

    /// <param name="progress">Called after each group PIM was asked about: (asked so far, candidates in all).</param>
    /// <exception cref="PimGroupListingException">Graph refused or failed a call; the message names the permission it needs.</exception>
    public static async Task<PimGroupListing> ListAsync(GraphServiceClient graph, Action<int, int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var candidates = (await ListGroupsAsync(graph, cancellationToken).ConfigureAwait(false)).Where(CanBeGoverned).ToList();
        var found = new List<PimEnabledGroup>();
        for (var i = 0; i < candidates.Count; i++)
        {
            var group = candidates[i];
            var eligible = await EligibleAccessAsync(graph, group.Id!, cancellationToken).ConfigureAwait(false);
            if (eligible.Count > 0)
                found.Add(new PimEnabledGroup(group.Id!.Trim().ToLowerInvariant(), string.IsNullOrWhiteSpace(group.DisplayName) ? group.Id! : group.DisplayName.Trim(), eligible));
            progress?.Invoke(i + 1, candidates.Count);
        }

        return new PimGroupListing(found, candidates.Count);
    }

    // PIM for Groups documents security and Microsoft 365 groups, except dynamic groups and groups synced from on-premises.
    private static bool CanBeGoverned(Group group) =>
        !string.IsNullOrWhiteSpace(group.Id)
        && (group.SecurityEnabled == true || group.GroupTypes?.Contains("Unified", StringComparer.OrdinalIgnoreCase) == true)
        && group.GroupTypes?.Contains("DynamicMembership", StringComparer.OrdinalIgnoreCase) != true
        && group.OnPremisesSyncEnabled != true;

    private static async Task<List<Group>> ListGroupsAsync(GraphServiceClient graph, CancellationToken cancellationToken)
    {
        try
        {
            var all = new List<Group>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var page = await graph.Groups.GetAsync(rc =>
            {
                rc.QueryParameters.Select = GroupFields;
                rc.QueryParameters.Top = 999;
            }, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                if (page?.Value is not { } groups)
                    throw new InvalidDataException("Graph answered GET /groups with something other than a collection (no 'value' array).");
                all.AddRange(groups.Where(g => g is not null));
                if (string.IsNullOrEmpty(page.OdataNextLink)) return all;
                if (!seen.Add(page.OdataNextLink)) throw new InvalidDataException($"Graph returned the same @odata.nextLink twice ({page.OdataNextLink}); paging stopped.");
                page = await graph.Groups.WithUrl(page.OdataNextLink).GetAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new PimGroupListingException(
                $"Listing the directory's groups (GET /groups) failed: {GraphErrors.Describe(ex).TrimEnd('.')}.{(Refused(ex) ? " This needs Group.Read.All (or GroupMember.Read.All)." : "")}", ex);
        }
    }

    /// <summary>The relationships the group's eligibility schedules offer; one page is enough to know whether there are any.</summary>
    private static async Task<IReadOnlyList<PimAccess>> EligibleAccessAsync(GraphServiceClient graph, string groupId, CancellationToken cancellationToken)
    {
        try
        {
            var page = await graph.IdentityGovernance.PrivilegedAccess.Group.EligibilitySchedules.GetAsync(rc =>
            {
                rc.QueryParameters.Filter = $"groupId eq '{groupId.Replace("'", "''", StringComparison.Ordinal)}'";
                rc.QueryParameters.Select = EligibilityFields;
            }, cancellationToken).ConfigureAwait(false);
            if (page?.Value is not { } schedules)
                throw new InvalidDataException("Graph answered with something other than a collection (no 'value' array).");
            var access = new List<PimAccess>(2);
            if (schedules.Any(s => s?.AccessId == PrivilegedAccessGroupRelationships.Member)) access.Add(PimAccess.Member);
            if (schedules.Any(s => s?.AccessId == PrivilegedAccessGroupRelationships.Owner)) access.Add(PimAccess.Owner);
            return access;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new PimGroupListingException(
                $"Reading the PIM eligibility schedules of group {groupId} failed: {GraphErrors.Describe(ex).TrimEnd('.')}." +
                (Refused(ex) ? " This needs PrivilegedEligibilitySchedule.Read.AzureADGroup (and, for a delegated sign-in, a role such as Global Reader)." : ""), ex);
        }
    }

    /// <summary>Graph answered 403: a permission is missing, not the network or the sign-in.</summary>
    private static bool Refused(Exception ex) => GraphErrors.Status(ex) == 403;
}
