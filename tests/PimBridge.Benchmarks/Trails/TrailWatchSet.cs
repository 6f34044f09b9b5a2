using System.Globalization;
using System.Text.Json;
using PimBridge.Core.Gaps;

namespace PimBridge.Benchmarks.Trails;

/// <summary>
/// The watched grants both scanners read (<c>watch.json</c>), the <see cref="TrailRecordFilter"/> built from them, and
/// the gap rule the Python baseline applies too: a record matches a grant when its permission set (a role session's
/// <c>AWSReservedSSO_&lt;name&gt;_&lt;hash&gt;</c>, or a GetRoleCredentials call's <c>role_name</c>) is the grant's, its user
/// is the grant's (session name case-insensitively, or onBehalfOf.userId; GetRoleCredentials by user id), its account
/// is one of the grant's, and its event time is after the grant's end.
/// </summary>
public sealed class TrailWatchSet
{
    private readonly IReadOnlyList<WatchedGrant> _grants;

    public TrailWatchSet(IReadOnlyList<WatchedGrant> grants)
    {
        _grants = grants;
        Filter = new TrailRecordFilter(grants.Select(g => g.PermissionSet), grants.Select(g => g.UserName).Where(n => n.Length > 0), grants.Select(g => g.UserId).Where(i => i.Length > 0));
    }

    public TrailRecordFilter Filter { get; }

    public int Count => _grants.Count;

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

    /// <summary>Whether any watched grant's gap rule takes <paramref name="record"/> (one the filter accepted).</summary>
    public bool Matches(TrailRecord record)
    {
        foreach (var g in _grants)
        {
            if (record.EventTime <= g.End) continue;
            if (record.IdentityType == "AssumedRole")
            {
                if (record.PermissionSetName == g.PermissionSet
                    && (string.Equals(record.SessionName, g.UserName, StringComparison.OrdinalIgnoreCase) && g.UserName.Length > 0
                        || record.OnBehalfOfUserId == g.UserId && g.UserId.Length > 0)
                    && record.AccountId is { } account && g.Accounts.Contains(account))
                    return true;
            }
            else if (record.IsGetRoleCredentials)
            {
                if (record.OnBehalfOfUserId == g.UserId && g.UserId.Length > 0 && record.TargetRoleName == g.PermissionSet
                    && record.TargetAccountId is { } account && g.Accounts.Contains(account))
                    return true;
            }
        }

        return false;
    }
}
