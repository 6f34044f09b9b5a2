using System.Globalization;
using System.Text.Json;
using PimBridge.Core.Domain;
using PimBridge.Core.Gaps;

namespace PimBridge.Benchmarks.Trails;

/// <summary>
/// The watched grants both scanners read (<c>watch.json</c>), as the gap detector's own <see cref="GapWatchSet"/>: one
/// <see cref="GapWatchWindow"/> per grant, open from the grant's end on, so the C# side is measured with the product's
/// filter and matching (<see cref="GapAlert.Match"/>). The rule, which the Python baseline applies too: a record matches
/// a grant when its permission set (a role session's <c>AWSReservedSSO_&lt;name&gt;_&lt;hash&gt;</c>, or a
/// GetRoleCredentials call's <c>role_name</c>) is the grant's, its user is the grant's (session name case-insensitively,
/// or onBehalfOf.userId; GetRoleCredentials by user id), its account is one of the grant's, and its event time is after
/// the grant's end.
/// </summary>
public sealed class TrailWatchSet
{
    private readonly GapWatchSet _set;

    public TrailWatchSet(IReadOnlyList<WatchedGrant> grants)
    {
        _set = new GapWatchSet(grants.Select((g, i) => new GapWatchWindow(
            $"bench-grant-{i}", g.UserId, g.UserName, $"arn:aws:sso:::permissionSet/ssoins-bench/ps-{i:D16}", g.PermissionSet,
            g.Accounts, g.End, DateTimeOffset.MaxValue, FenceId: null, FencedSince: null, RemovedAt: null)));
    }

    public TrailRecordFilter Filter => _set.Filter;

    public static TrailWatchSet Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var grants = document.RootElement.GetProperty("grants").EnumerateArray().Select(g => new WatchedGrant(
            g.GetProperty("userName").GetString() ?? "",
            g.GetProperty("userId").GetString() ?? "",
            g.GetProperty("permissionSet").GetString()!,
            g.GetProperty("accounts").EnumerateArray().Select(a => a.GetString()!).ToArray(),
            DateTimeOffset.Parse(g.GetProperty("end").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal))).ToList();
        return new TrailWatchSet(grants);
    }

    /// <summary>Whether some watched grant's window takes <paramref name="record"/> (one the filter accepted).</summary>
    public bool Matches(TrailRecord record) => _set.Match(record) is not null;
}
