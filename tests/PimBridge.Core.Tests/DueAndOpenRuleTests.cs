using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Core.Tests;

/// <summary>
/// Which records are due or open: the rules both stores index and filter by (<see cref="Grant.IsDueAt"/>,
/// <see cref="Intent.IsDueAt"/>, <see cref="SessionFence.IsDueAt"/>, <see cref="SessionFence.IsOpen"/>).
/// </summary>
public sealed class DueAndOpenRuleTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(GrantState.Active, -1, true)]
    [InlineData(GrantState.Active, 0, true)]
    [InlineData(GrantState.Active, 1, false)]
    [InlineData(GrantState.Ended, -1, false)]
    public void A_grant_is_due_when_active_and_its_end_is_at_or_before_now(GrantState state, int endMinutesFromNow, bool due)
    {
        var grant = NewGrant(state, Now.AddMinutes(endMinutesFromNow));

        Assert.Equal(due, grant.IsDueAt(Now));
        Assert.Equal(state == GrantState.Active ? grant.End : null, grant.DueAt);
        Assert.Equal(state == GrantState.Active, grant.IsActive);
    }

    [Fact]
    public void A_standing_grant_without_an_end_is_never_due()
    {
        var grant = NewGrant(GrantState.Active, end: null);

        Assert.Null(grant.DueAt);
        Assert.False(grant.IsDueAt(DateTimeOffset.MaxValue));
    }

    [Theory]
    [InlineData(IntentState.Pending, -1, true)]
    [InlineData(IntentState.Pending, 0, true)]
    [InlineData(IntentState.Pending, 1, false)]
    [InlineData(IntentState.Done, -1, false)]
    [InlineData(IntentState.Superseded, -1, false)]
    public void An_intent_is_due_when_pending_and_its_next_attempt_is_at_or_before_now(IntentState state, int nextAttemptMinutesFromNow, bool due)
    {
        var intent = new Intent
        {
            Id = "i-1",
            Kind = IntentKind.ApplyEntitlement,
            Subject = "key",
            State = state,
            CreatedAt = Now.AddHours(-1),
            NextAttemptAt = Now.AddMinutes(nextAttemptMinutesFromNow),
        };

        Assert.Equal(due, intent.IsDueAt(Now));
        Assert.Equal(state == IntentState.Pending, intent.IsPending);
        Assert.Equal(state == IntentState.Pending ? intent.NextAttemptAt : null, intent.DueAt);
    }

    [Theory]
    [InlineData(FenceState.Active, -1, true)]
    [InlineData(FenceState.Active, 0, true)]
    [InlineData(FenceState.Active, 1, false)]
    [InlineData(FenceState.Pending, -1, false)]
    [InlineData(FenceState.Lifting, -1, false)]
    [InlineData(FenceState.Lifted, -1, false)]
    public void A_fence_is_due_to_lift_when_active_and_its_until_is_at_or_before_now(FenceState state, int untilMinutesFromNow, bool due)
    {
        var fence = NewFence(state, Now.AddMinutes(untilMinutesFromNow));

        Assert.Equal(due, fence.IsDueAt(Now));
        Assert.Equal(state == FenceState.Active ? fence.Until : null, fence.DueAt);
    }

    [Theory]
    [InlineData(FenceState.Pending, true)]
    [InlineData(FenceState.Active, true)]
    [InlineData(FenceState.Lifting, true)]
    [InlineData(FenceState.Lifted, false)]
    public void A_fence_is_open_until_it_is_lifted(FenceState state, bool open)
    {
        Assert.Equal(open, NewFence(state, Now).IsOpen);
        Assert.Equal(open, SessionFence.OpenStates.Contains(state));
    }

    [Fact]
    public void Every_fence_state_but_lifted_is_open()
    {
        Assert.Equal(Enum.GetValues<FenceState>().Where(s => s != FenceState.Lifted), SessionFence.OpenStates.Order());
    }

    [Fact]
    public void The_rules_are_not_part_of_the_stored_json()
    {
        var grant = StateJson.Serialize(NewGrant(GrantState.Active, Now));
        var intent = StateJson.Serialize(new Intent { Id = "i", Kind = IntentKind.Notify, Subject = "s", CreatedAt = Now, NextAttemptAt = Now });
        var fence = StateJson.Serialize(NewFence(FenceState.Active, Now));

        foreach (var name in new[] { "\"IsActive\"", "\"IsPending\"", "\"IsOpen\"", "\"DueAt\"", "\"OpenStates\"" })
        {
            Assert.DoesNotContain(name, grant, StringComparison.Ordinal);
            Assert.DoesNotContain(name, intent, StringComparison.Ordinal);
            Assert.DoesNotContain(name, fence, StringComparison.Ordinal);
        }
    }

    private static Grant NewGrant(GrantState state, DateTimeOffset? end) => new()
    {
        Id = "g-1",
        Mapping = "ops",
        Principal = new EntraPrincipal("entra-1"),
        GroupId = "group-1",
        Access = PimAccess.Member,
        User = new IdentityCenterUser("u-1", "alice"),
        ActivationId = "a-1",
        Start = Now.AddHours(-1),
        End = end,
        EntitlementKeys = [],
        State = state,
    };

    private static SessionFence NewFence(FenceState state, DateTimeOffset until) => new()
    {
        Id = "f-1",
        UserId = "u-1",
        UserName = "alice",
        PermissionSetArn = "arn:aws:sso:::permissionSet/ssoins-1/ps-1",
        Accounts = ["111111111111"],
        Cutoff = Now.AddHours(-1),
        Until = until,
        State = state,
        CreatedAt = Now.AddHours(-2),
    };
}
