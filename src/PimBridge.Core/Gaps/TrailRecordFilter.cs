using PimBridge.Core.Domain;

namespace PimBridge.Core.Gaps;

/// <summary>
/// Which records are worth parsing in full. Nearly every trail record belongs to someone else, so the reader asks this
/// on raw fields before building a <see cref="TrailRecord"/>: a permission-set role session, or a console sign-in
/// (<c>AssumeRoleWithSAML</c>) into its role, of a watched permission set and user (by session name, case-insensitive,
/// or by <c>onBehalfOf.userId</c>), or a <c>GetRoleCredentials</c> call of a watched user id (those records carry no
/// user name since July 2025, so only a known user id finds them).
/// </summary>
public sealed class TrailRecordFilter
{
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _permissionSets;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _userNames;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _userIds;

    /// <summary>Accepts every record: for exploring files and for tests.</summary>
    public static TrailRecordFilter Everything { get; } = new([], [], [], everything: true);

    public TrailRecordFilter(IEnumerable<string> permissionSetNames, IEnumerable<string> userNames, IEnumerable<string> userIds)
        : this(permissionSetNames, userNames, userIds, everything: false)
    {
    }

    private TrailRecordFilter(IEnumerable<string> permissionSetNames, IEnumerable<string> userNames, IEnumerable<string> userIds, bool everything)
    {
        IsEverything = everything;
        _permissionSets = new HashSet<string>(permissionSetNames, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        _userNames = new HashSet<string>(userNames, StringComparer.OrdinalIgnoreCase).GetAlternateLookup<ReadOnlySpan<char>>();
        _userIds = new HashSet<string>(userIds, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public static TrailRecordFilter For(IEnumerable<GapWatchWindow> windows)
    {
        var list = windows as IReadOnlyCollection<GapWatchWindow> ?? windows.ToList();
        return new TrailRecordFilter(
            list.Select(w => w.PermissionSetName),
            list.Select(w => w.UserName).Where(n => n.Length > 0),
            list.Select(w => w.UserId).Where(id => id.Length > 0));
    }

    public bool IsEverything { get; }

    internal bool WantsPermissionSet(ReadOnlySpan<char> name) => _permissionSets.Contains(name);

    internal bool WantsUser(ReadOnlySpan<char> sessionName, ReadOnlySpan<char> onBehalfOfUserId) =>
        (!sessionName.IsEmpty && _userNames.Contains(sessionName)) || (!onBehalfOfUserId.IsEmpty && _userIds.Contains(onBehalfOfUserId));
}
