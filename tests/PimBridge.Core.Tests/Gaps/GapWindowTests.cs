using PimBridge.Core.Domain;
using PimBridge.Core.Gaps;
using PimBridge.Core.Ports;
using PimBridge.Store.Sqlite;
using static PimBridge.Testing.ExampleDeployment;

namespace PimBridge.Core.Tests.Gaps;

/// <summary>
/// Which grant a fence's watch window starts from: one window per grant and permission set, from the end of the last
/// grant that reached that permission set in those accounts, never from a grant of another permission set.
/// </summary>
public sealed class GapWindowTests
{
    private static readonly DateTimeOffset T = new(2026, 7, 1, 10, 0, 0, TimeSpan.Zero);
    private const string UserId = "u-alice";

    private static Grant Ended(string id, DateTimeOffset start, DateTimeOffset end, params string[] keys) => new()
    {
        Id = id, Mapping = "m", Principal = new EntraPrincipal("alice-entra"), GroupId = OpsGroup, Access = PimAccess.Member,
        User = new IdentityCenterUser(UserId, "alice@example.com"), ActivationId = "act-" + id, Start = start, End = end,
        EntitlementKeys = keys, State = GrantState.Ended, EndedAt = end,
    };

    private static Grant Active(string id, DateTimeOffset start, params string[] keys) =>
        Ended(id, start, start.AddHours(4), keys) with { State = GrantState.Active, EndedAt = null };

    private static string Assignment(string permissionSet, string account) => Entitlement.AccountAssignment(UserId, permissionSet, account).Key;

    private static SessionFence Fence(string id, string permissionSet, DateTimeOffset created, params string[] accounts) => new()
    {
        Id = id, UserId = UserId, UserName = "alice@example.com", PermissionSetArn = permissionSet, PermissionSetName = permissionSet == Admin ? "Admin" : "ReadOnly",
        Accounts = accounts, Cutoff = created, Until = created.AddHours(5), CreatedAt = created, State = FenceState.Active, ActiveSince = created.AddSeconds(30),
    };

    private static async Task<IReadOnlyList<GapWatchWindow>> WindowsAsync(IEnumerable<Grant> grants, IEnumerable<SessionFence> fences, Func<string, IReadOnlyList<PermissionSetAccount>?>? groups = null)
    {
        await using var store = await SqliteStateStore.OpenAsync(":memory:");
        var change = new StateChange();
        change.Grants.AddRange(grants);
        change.Fences.AddRange(fences);
        await store.CommitAsync(change);
        return await GapDetector.WatchWindowsAsync(store, TimeSpan.FromMinutes(15), DateTimeOffset.MinValue,
            (fence, _) => Task.FromResult(fence.PermissionSetName!), (group, _) => Task.FromResult(groups?.Invoke(group)));
    }

    [Fact]
    public async Task A_late_removal_is_watched_from_the_end_of_its_own_permission_sets_grant_not_a_later_one_of_another()
    {
        // Admin ended at 10:00; ReadOnly at 10:20; Admin's removal was only confirmed at 10:25 (throttled, or the engine was down).
        var windows = await WindowsAsync(
            [Ended("admin", T.AddHours(-1), T, Assignment(Admin, Prod)), Ended("ro", T.AddHours(-1), T.AddMinutes(20), Assignment(ReadOnly, Prod))],
            [Fence("f-admin", Admin, T.AddMinutes(25), Prod), Fence("f-ro", ReadOnly, T.AddMinutes(20).AddSeconds(5), Prod)]);

        var admin = Assert.Single(windows, w => w.PermissionSetName == "Admin");
        var readOnly = Assert.Single(windows, w => w.PermissionSetName == "ReadOnly");
        Assert.Equal(("admin", T), (admin.GrantId, admin.From));
        Assert.Equal(("ro", T.AddMinutes(20)), (readOnly.GrantId, readOnly.From));
        Assert.Equal(T.AddHours(-1), admin.ActivatedAt);
    }

    [Fact]
    public async Task Overlapping_grants_of_one_permission_set_are_watched_from_the_last_end()
    {
        var windows = await WindowsAsync(
            [Ended("first", T.AddHours(-2), T, Assignment(Admin, Prod)), Ended("second", T.AddHours(-1), T.AddMinutes(10), Assignment(Admin, Prod))],
            [Fence("f", Admin, T.AddMinutes(10).AddSeconds(5), Prod)]);

        Assert.Equal(("second", T.AddMinutes(10)), (Assert.Single(windows).GrantId, windows[0].From));
    }

    [Fact]
    public async Task A_grant_of_the_same_permission_set_in_another_account_does_not_start_the_window()
    {
        var windows = await WindowsAsync(
            [Ended("prod", T.AddHours(-1), T, Assignment(Admin, Prod)), Ended("staging", T.AddHours(-1), T.AddMinutes(10), Assignment(Admin, Staging))],
            [Fence("f-prod", Admin, T.AddMinutes(12), Prod)]);

        Assert.Equal("prod", Assert.Single(windows).GrantId);
    }

    [Fact]
    public async Task A_group_membership_reaches_the_permission_sets_its_group_is_assigned()
    {
        var membership = Entitlement.GroupMembership(UserId, IdcPlatformGroup).Key;
        IReadOnlyList<PermissionSetAccount> Platform(string group) => group == IdcPlatformGroup ? [new(ReadOnly, Prod), new(Admin, Staging)] : [];
        var windows = await WindowsAsync(
            [Ended("platform", T.AddHours(-1), T, membership), Ended("admin-prod", T.AddHours(-1), T.AddMinutes(10), Assignment(Admin, Prod))],
            [Fence("f-ro", ReadOnly, T.AddMinutes(15), Prod), Fence("f-admin", Admin, T.AddMinutes(15), Staging)],
            Platform);

        Assert.Equal(["platform", "platform"], windows.Select(w => w.GrantId));
        Assert.All(windows, w => Assert.Equal(T, w.From));
    }

    [Fact]
    public async Task A_group_whose_assignments_cannot_be_read_is_taken_to_reach_every_permission_set()
    {
        var membership = Entitlement.GroupMembership(UserId, IdcPlatformGroup).Key;
        var windows = await WindowsAsync(
            [Ended("platform", T.AddHours(-1), T, membership)],
            [Fence("f-ro", ReadOnly, T.AddMinutes(1), Prod)],
            _ => null);

        Assert.Equal("platform", Assert.Single(windows).GrantId);
    }

    [Fact]
    public async Task A_later_grant_of_the_same_permission_set_marks_the_re_grant()
    {
        var windows = await WindowsAsync(
            [
                Ended("old", T.AddHours(-1), T, Assignment(Admin, Prod)),
                Active("other-set", T.AddMinutes(5), Assignment(ReadOnly, Prod)),
                Active("again", T.AddMinutes(30), Assignment(Admin, Prod)),
                Active("later", T.AddMinutes(50), Assignment(Admin, Prod)),
            ],
            [Fence("f", Admin, T.AddSeconds(5), Prod)]);

        Assert.Equal(T.AddMinutes(30), Assert.Single(windows).RegrantedAt);
    }
}
