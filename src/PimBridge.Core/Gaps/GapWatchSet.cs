using PimBridge.Core.Domain;

namespace PimBridge.Core.Gaps;

/// <summary>
/// The watch windows of one scan, indexed by permission set name, with the filter that lets the trail reader skip
/// everything else. <see cref="Match"/> gives at most one alert per record: when several ended grants of the same
/// user and permission set cover it, the most recently ended one explains it.
/// </summary>
public sealed class GapWatchSet
{
    private readonly Dictionary<string, List<GapWatchWindow>> _byPermissionSet;

    public GapWatchSet(IEnumerable<GapWatchWindow> windows)
    {
        Windows = windows.ToList();
        _byPermissionSet = Windows.GroupBy(w => w.PermissionSetName, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(w => w.From).ToList(), StringComparer.Ordinal);
        Filter = TrailRecordFilter.For(Windows);
    }

    public IReadOnlyList<GapWatchWindow> Windows { get; }

    public TrailRecordFilter Filter { get; }

    public bool IsEmpty => Windows.Count == 0;

    /// <summary>Every account some window covers.</summary>
    public IReadOnlyCollection<string> Accounts => Windows.SelectMany(w => w.Accounts).ToHashSet(StringComparer.Ordinal);

    public IReadOnlyCollection<string> UserNames => Windows.Select(w => w.UserName).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>The earliest window start and latest window end: the time range a source must read.</summary>
    public (DateTimeOffset From, DateTimeOffset Until) Range => IsEmpty
        ? (DateTimeOffset.MinValue, DateTimeOffset.MinValue)
        : (Windows.Min(w => w.From), Windows.Max(w => w.Until));

    public GapAlert? Match(TrailRecord record)
    {
        var permissionSet = record.IsGetRoleCredentials ? record.TargetRoleName : record.PermissionSetName;
        if (permissionSet is null || !_byPermissionSet.TryGetValue(permissionSet, out var windows))
            return null;
        foreach (var window in windows)
        {
            if (GapAlert.Match(record, window) is { } alert)
                return alert;
        }

        return null;
    }
}
