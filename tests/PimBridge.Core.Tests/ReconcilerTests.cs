using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;

namespace PimBridge.Core.Tests;

/// <summary>The pure reconcile decision, without a store or a clock.</summary>
public sealed class ReconcilerTests
{
    private static readonly DateTimeOffset Now = new(2026, 7, 1, 12, 0, 0, TimeSpan.Zero);
    private const string Group = "11111111-1111-1111-1111-111111111111";
    private static readonly ResolvedMapping Mapping = new(
        new MappingRule("m", Group, PimAccess.Member, null, "ps", ["111111111111"], TimeSpan.FromHours(8), false, true), null, "arn:ps");
    private static readonly EntraPrincipal Alice = new("alice-entra", "alice@contoso.com");
    private static readonly Dictionary<string, IdentityCenterUser?> Users = new() { ["alice-entra"] = new IdentityCenterUser("u-alice", "alice") };

    private static Activation Act(string id, DateTimeOffset start, DateTimeOffset? end) => new(id, Alice, Group, PimAccess.Member, start, end);

    private static PimSnapshot Snapshot(params Activation[] activations) => new([Group], activations);

    private static ActiveGrant Active(Grant g) => new(g.Id, g.Slot, g.Start, g.End);

    private static ReconcilePlan Plan(PimSnapshot snapshot, IReadOnlyList<ResolvedMapping> mappings, IEnumerable<Grant> active,
        IReadOnlyDictionary<string, IdentityCenterUser?> users, DateTimeOffset now) =>
        Reconciler.Plan(Reconciler.Windows(snapshot, mappings, now), mappings, active.Select(Active).ToList(), users, now);

    [Fact]
    public void Overlapping_activations_of_one_slot_make_one_grant_spanning_both()
    {
        var plan = Plan(Snapshot(Act("a1", Now.AddHours(-1), Now.AddHours(1)), Act("a2", Now.AddMinutes(-10), Now.AddHours(3))), [Mapping], [], Users, Now);

        var grant = Assert.Single(plan.NewGrants);
        Assert.Equal(Now.AddHours(-1), grant.Start);
        Assert.Equal(Now.AddHours(3), grant.End);
        Assert.Equal("a2", grant.ActivationId);
        Assert.Equal(["aa|u-alice|arn:ps|111111111111"], grant.EntitlementKeys);
    }

    /// <summary>
    /// PIM time-bounds every activation; one Graph lists without an end is malformed, and under a mapping without a
    /// MaxDuration it would become access with no end. It is held to PIM's longest activation (24 hours) instead.
    /// </summary>
    [Fact]
    public void An_activation_without_an_end_is_held_to_PIMs_longest_activation_when_the_mapping_has_no_cap()
    {
        var uncapped = new ResolvedMapping(new MappingRule("m", Group, PimAccess.Member, null, "ps", ["111111111111"], null, false, true), null, "arn:ps");

        var grant = Assert.Single(Plan(Snapshot(Act("a1", Now.AddHours(-1), null)), [uncapped], [], Users, Now).NewGrants);

        Assert.Equal(Now.AddHours(-1) + MappingRule.LongestActivation, grant.End);
        Assert.Equal(TimeSpan.FromHours(24), MappingRule.LongestActivation);
        // A permanent assignment has no end by nature: only the mapping's cap bounds it.
        var permanent = new Activation("p1", Alice, Group, PimAccess.Member, Now.AddHours(-1), null, IsPermanent: true);
        var counted = new ResolvedMapping(new MappingRule("m", Group, PimAccess.Member, null, "ps", ["111111111111"], null, true, true), null, "arn:ps");
        Assert.Null(Assert.Single(Plan(Snapshot(permanent), [counted], [], Users, Now).NewGrants).End);
    }

    [Fact]
    public void Ended_and_future_activations_and_other_groups_are_ignored()
    {
        var other = new Activation("a3", Alice, "99999999-9999-9999-9999-999999999999", PimAccess.Member, Now.AddHours(-1), Now.AddHours(1));

        var plan = Plan(Snapshot(Act("a1", Now.AddHours(-2), Now), Act("a2", Now.AddMinutes(5), Now.AddHours(1)), other), [Mapping], [], Users, Now);

        Assert.True(plan.IsEmpty);
    }

    [Fact]
    public void Applying_a_plan_makes_the_next_plan_empty_and_a_moved_end_a_change()
    {
        var snapshot = Snapshot(Act("a1", Now.AddHours(-1), Now.AddHours(1)));
        var grant = Assert.Single(Plan(snapshot, [Mapping], [], Users, Now).NewGrants);

        Assert.True(Plan(snapshot, [Mapping], [grant], Users, Now).IsEmpty);

        var extended = Plan(Snapshot(Act("a1", Now.AddHours(-1), Now.AddHours(2))), [Mapping], [grant], Users, Now);
        Assert.Equal(Now.AddHours(2), Assert.Single(extended.EndChanges).NewEnd);
    }

    [Fact]
    public void A_grant_whose_activation_vanished_stops_as_deactivated_and_one_past_its_end_as_expired()
    {
        var grant = Assert.Single(Plan(Snapshot(Act("a1", Now.AddHours(-1), Now.AddHours(1))), [Mapping], [], Users, Now).NewGrants);

        Assert.Equal(EndReasons.Deactivated, Assert.Single(Plan(Snapshot(), [Mapping], [grant], Users, Now).Stops).Reason);
        Assert.Equal(EndReasons.Expired, Assert.Single(Plan(Snapshot(), [Mapping], [grant], Users, Now.AddHours(2)).Stops).Reason);
    }

    [Fact]
    public void Grants_of_groups_outside_the_snapshot_are_left_alone()
    {
        var grant = Assert.Single(Plan(Snapshot(Act("a1", Now.AddHours(-1), Now.AddHours(1))), [Mapping], [], Users, Now).NewGrants);

        Assert.True(Plan(new PimSnapshot(["99999999-9999-9999-9999-999999999999"], []), [Mapping], [grant], Users, Now).IsEmpty);
    }

    [Fact]
    public void A_principal_without_a_user_is_reported_not_granted()
    {
        var plan = Plan(Snapshot(Act("a1", Now.AddHours(-1), Now.AddHours(1))), [Mapping], [], new Dictionary<string, IdentityCenterUser?> { ["alice-entra"] = null }, Now);

        Assert.Empty(plan.NewGrants);
        Assert.Equal("alice-entra", Assert.Single(plan.Unmapped).Principal.Id);
    }

    /// <summary>
    /// A standing (permanent) assignment under a mapping without IncludePermanent gives no access; the plan says so,
    /// naming the mapping, rather than looking like PIM had nothing for the group. It is not a change: the plan stays empty.
    /// </summary>
    [Fact]
    public void A_standing_assignment_the_mapping_does_not_count_is_reported_as_ignored()
    {
        var standing = new Activation("p1", Alice, Group, PimAccess.Member, Now.AddDays(-30), null, IsPermanent: true);
        var owner = new Activation("p2", new EntraPrincipal("bob-entra", "bob@contoso.com"), Group, PimAccess.Owner, Now.AddDays(-30), null, IsPermanent: true);

        var plan = Plan(Snapshot(standing, owner), [Mapping], [], Users, Now);

        Assert.True(plan.IsEmpty);
        var ignored = Assert.Single(plan.IgnoredPermanent); // the owner assignment is no member mapping's business
        Assert.Equal(Alice, ignored.Principal);
        Assert.Equal("m", ignored.Mapping);
        Assert.Equal(Group, ignored.GroupId);
        Assert.Equal(PimAccess.Member, ignored.Access);
        Assert.Equal(Now.AddDays(-30), ignored.Since);

        var counting = new ResolvedMapping(Mapping.Rule with { IncludePermanent = true, MaxDuration = null }, null, "arn:ps");
        var counted = Plan(Snapshot(standing), [counting], [], Users, Now);
        Assert.Single(counted.NewGrants);
        Assert.Empty(counted.IgnoredPermanent);
    }

    [Fact]
    public void A_standing_assignment_is_not_reported_as_ignored_when_the_same_mapping_grants_the_principal_an_activation()
    {
        var standing = new Activation("p1", Alice, Group, PimAccess.Member, Now.AddDays(-30), null, IsPermanent: true);

        var plan = Plan(Snapshot(standing, Act("a1", Now.AddHours(-1), Now.AddHours(1))), [Mapping], [], Users, Now);

        Assert.Single(plan.NewGrants);
        Assert.Empty(plan.IgnoredPermanent);
    }

    [Fact]
    public void The_grant_id_is_deterministic_for_the_same_slot_and_start()
    {
        var a = Plan(Snapshot(Act("a1", Now.AddHours(-1), Now.AddHours(1))), [Mapping], [], Users, Now).NewGrants[0];
        var b = Plan(Snapshot(Act("other-id", Now.AddHours(-1), Now.AddHours(5))), [Mapping], [], Users, Now).NewGrants[0];

        Assert.Equal(a.Id, b.Id);
    }
}
