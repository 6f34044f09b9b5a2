using PimBridge.Core.Domain;
using PimBridge.Core.Gaps;
using static PimBridge.Core.Tests.Gaps.GapSample;

namespace PimBridge.Core.Tests.Gaps;

/// <summary>The matching rule and classes of issue 5, on records shaped as the reference captures.</summary>
public sealed class GapMatchingTests
{
    private static TrailRecord Parse(System.Text.Json.Nodes.JsonObject json) =>
        TrailRecordReader.ParseEvent(json.ToJsonString(), TrailRecordFilter.Everything, new TrailScanStats())!;

    private static GapAlert? Match(System.Text.Json.Nodes.JsonObject json, GapWatchWindow? window = null) => GapAlert.Match(Parse(json), window ?? Window());

    [Fact]
    public void A_call_after_expiry_before_the_fence_is_succeeded_before_fence()
    {
        var alert = Match(TrailJson.RoleSessionCall("e1", End.AddSeconds(20), Prod, "Admin", User, sessionCreated: End.AddHours(-1)));

        Assert.Equal(GapClass.SucceededBeforeFence, alert!.Class);
        Assert.Equal(AlertSeverity.Warning, alert.Severity);
        Assert.Equal(TimeSpan.FromSeconds(20), alert.AfterExpiry);
        Assert.False(alert.WasBlocked);
    }

    [Fact]
    public void A_successful_call_after_the_fence_is_critical()
    {
        var alert = Match(TrailJson.RoleSessionCall("e2", End.AddMinutes(30), Staging, "Admin", User, userId: UserId, sessionCreated: End.AddHours(-1)));

        Assert.Equal(GapClass.SucceededAfterFence, alert!.Class);
        Assert.Equal(AlertSeverity.Critical, alert.Severity);
        Assert.Equal(Staging, alert.AccountId);
    }

    [Theory]
    [InlineData("AccessDenied")]
    [InlineData("Client.UnauthorizedOperation")]
    [InlineData("AccessDeniedException")]
    [InlineData("ExpiredToken")]
    public void A_denied_call_is_blocked(string errorCode)
    {
        var alert = Match(TrailJson.RoleSessionCall("e3", End.AddMinutes(30), Prod, "Admin", User, sessionCreated: End.AddHours(-1), errorCode: errorCode));

        Assert.Equal(GapClass.Blocked, alert!.Class);
        Assert.Equal(AlertSeverity.Info, alert.Severity);
        Assert.True(alert.WasBlocked);
    }

    [Fact]
    public void A_call_that_failed_for_another_reason_was_still_allowed()
    {
        var alert = Match(TrailJson.RoleSessionCall("e4", End.AddMinutes(30), Prod, "Admin", User, sessionCreated: End.AddHours(-1), errorCode: "NoSuchBucket", errorMessage: "The specified bucket does not exist"));

        Assert.Equal(GapClass.SucceededAfterFence, alert!.Class);
    }

    [Fact]
    public void Credentials_minted_after_the_removal_are_critical_and_before_it_a_warning()
    {
        var afterRemoval = Match(TrailJson.RoleSessionCall("e5", End.AddMinutes(10), Prod, "Admin", User, sessionCreated: End.AddMinutes(2), errorCode: "AccessDenied"));
        var inFlight = Match(TrailJson.RoleSessionCall("e6", End.AddMinutes(10), Prod, "Admin", User, sessionCreated: End.AddSeconds(2)));

        Assert.Equal(GapClass.CredentialsAfterExpiry, afterRemoval!.Class);
        Assert.Equal(AlertSeverity.Critical, afterRemoval.Severity);
        Assert.True(afterRemoval.WasBlocked);
        Assert.Equal(GapClass.CredentialsAfterExpiry, inFlight!.Class);
        Assert.Equal(AlertSeverity.Warning, inFlight.Severity);
    }

    [Fact]
    public void Get_role_credentials_after_expiry_is_credentials_after_expiry_unless_refused()
    {
        var minted = Match(TrailJson.GetRoleCredentials("g1", End.AddMinutes(3), UserId, Prod, "Admin"));
        var refused = Match(TrailJson.GetRoleCredentials("g2", End.AddMinutes(3), UserId, Prod, "Admin", errorCode: "ForbiddenException"));
        var otherAccount = Match(TrailJson.GetRoleCredentials("g3", End.AddMinutes(3), UserId, "333333333333", "Admin"));
        var otherSet = Match(TrailJson.GetRoleCredentials("g4", End.AddMinutes(3), UserId, Prod, "AdminReadOnly"));
        var before = Match(TrailJson.GetRoleCredentials("g5", End.AddMinutes(-3), UserId, Prod, "Admin"));

        Assert.Equal(GapClass.CredentialsAfterExpiry, minted!.Class);
        Assert.Equal(Prod, minted.AccountId);
        Assert.Equal(GapClass.Blocked, refused!.Class);
        Assert.Null(otherAccount);
        Assert.Null(otherSet);
        Assert.Null(before);
    }

    [Fact]
    public void Only_this_user_this_permission_set_these_accounts_and_this_window_match()
    {
        var created = End.AddHours(-1);
        Assert.Null(Match(TrailJson.RoleSessionCall("n1", End.AddMinutes(-1), Prod, "Admin", User, sessionCreated: created)));          // before the end
        Assert.Null(Match(TrailJson.RoleSessionCall("n2", End, Prod, "Admin", User, sessionCreated: created)));                         // at the end: still valid
        Assert.Null(Match(TrailJson.RoleSessionCall("n3", End.AddHours(6), Prod, "Admin", User, sessionCreated: created)));             // after the window
        Assert.Null(Match(TrailJson.RoleSessionCall("n4", End.AddMinutes(1), Prod, "AdminReadOnly", User, sessionCreated: created)));   // similar name
        Assert.Null(Match(TrailJson.RoleSessionCall("n5", End.AddMinutes(1), Prod, "Admi", User, sessionCreated: created)));
        Assert.Null(Match(TrailJson.RoleSessionCall("n6", End.AddMinutes(1), "333333333333", "Admin", User, sessionCreated: created))); // other account
        Assert.Null(Match(TrailJson.RoleSessionCall("n7", End.AddMinutes(1), Prod, "Admin", "bob@example.com", userId: "bob-id", sessionCreated: created)));
        Assert.Null(Match(TrailJson.OtherRoleCall("n8", End.AddMinutes(1), Prod, "AWSReservedSSO_Admin_7243976e43c75fc5x", User)));
        Assert.Null(Match(TrailJson.AssumeRoleWithSaml("n9", End.AddMinutes(1), Prod, "Admin", "bob@example.com")));
        Assert.NotNull(Match(TrailJson.AssumeRoleWithSaml("y0", End.AddMinutes(1), Prod, "Admin", User)));       // a console sign-in: GapPathTests
        Assert.NotNull(Match(TrailJson.RoleSessionCall("y1", End.AddMinutes(1), Prod, "Admin", "ALICE@Example.COM", sessionCreated: created)));
        Assert.NotNull(Match(TrailJson.RoleSessionCall("y2", End.AddMinutes(1), Prod, "Admin", "renamed@example.com", userId: UserId, sessionCreated: created)));
    }

    [Fact]
    public void The_watch_set_explains_an_event_by_the_most_recently_ended_grant()
    {
        var earlier = Window(grant: "g-old", from: End.AddHours(-3));
        var later = Window(grant: "g-new");
        var set = new GapWatchSet([earlier, later, Window("ReadOnly", grant: "g-ro")]);

        var alert = set.Match(Parse(TrailJson.RoleSessionCall("e", End.AddMinutes(5), Prod, "Admin", User, sessionCreated: End.AddHours(-1))));
        var earlyAlert = set.Match(Parse(TrailJson.RoleSessionCall("e0", End.AddHours(-2), Prod, "Admin", User, sessionCreated: End.AddHours(-4))));

        Assert.Equal("g-new", alert!.GrantId);
        Assert.Equal("g-old", earlyAlert!.GrantId);
        Assert.Equal(3, set.Windows.Count);
        Assert.Equal([Prod, Staging], set.Accounts.Order());
    }

    [Fact]
    public void The_alert_carries_the_facts_a_reviewer_needs()
    {
        var gap = Match(TrailJson.RoleSessionCall("ev-42", End.AddMinutes(30).AddSeconds(5), Prod, "Admin", User, userId: UserId, sessionCreated: End.AddHours(-1), eventName: "PutObject"))!;

        var alert = gap.ToAlert(End.AddMinutes(40));

        Assert.Equal("gap|ev-42", alert.Id);
        Assert.Equal("gap.succeeded-after-fence", alert.Kind);
        Assert.Equal(AlertSeverity.Critical, alert.Severity);
        Assert.Equal(User, alert.Subject);
        Assert.Contains("30m 05s after PIM access ended", alert.Message);
        Assert.Contains("s3:PutObject", alert.Message);
        var facts = alert.Facts!;
        Assert.Equal(User, facts["user"]);
        Assert.Equal("g-1", facts["grant"]);
        Assert.Equal(Prod, facts["account"]);
        Assert.Equal("ap-southeast-2", facts["region"]);
        Assert.Equal("s3.amazonaws.com", facts["eventSource"]);
        Assert.Equal("PutObject", facts["eventName"]);
        Assert.Equal("203.0.113.24", facts["sourceIp"]);
        Assert.StartsWith("aws-cli/", facts["userAgent"]);
        Assert.Equal("30m 05s", facts["afterExpiry"]);
        Assert.Equal("ev-42", facts["eventId"]);
        Assert.Equal("succeeded", facts["outcome"]);
    }
}
