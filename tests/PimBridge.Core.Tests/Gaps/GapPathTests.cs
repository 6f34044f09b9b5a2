using System.Text;
using System.Text.Json.Nodes;
using PimBridge.Core.Domain;
using PimBridge.Core.Gaps;
using static PimBridge.Core.Tests.Gaps.GapSample;

namespace PimBridge.Core.Tests.Gaps;

/// <summary>
/// The paths an expired user can still act through, on records shaped as AWS documents them
/// (shared/reference/cloudtrail-identity-center.md §2–§4), including the trimmed shapes SIEMs and tools export.
/// </summary>
public sealed class GapPathTests
{
    private static readonly TrailRecordFilter Alice = new(["Admin"], [User], [UserId]);

    private static async Task<(IReadOnlyList<TrailRecord> Records, TrailScanStats Stats)> ReadAsync(string json, TrailRecordFilter? filter = null)
    {
        var stats = new TrailScanStats();
        var records = await TrailRecordReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)), "f.json", filter ?? Alice, stats);
        return (records, stats);
    }

    private static async Task<TrailRecord> OneAsync(JsonObject record) => Assert.Single((await ReadAsync(TrailJson.File([record]))).Records);

    // ---------------------------------------------------------------- console sign-in

    [Fact]
    public async Task A_console_sign_in_after_expiry_is_credentials_minted_after_expiry()
    {
        var record = await OneAsync(TrailJson.AssumeRoleWithSaml("saml-1", End.AddMinutes(10), Prod, "Admin", User));

        var alert = GapAlert.Match(record, Window());

        Assert.Equal("SAMLUser", record.IdentityType);
        Assert.Equal("Admin", record.PermissionSetName);
        Assert.Equal(User, record.SessionName);
        Assert.Equal(GapClass.CredentialsAfterExpiry, alert!.Class);
        Assert.Equal(AlertSeverity.Critical, alert.Severity);
        Assert.Equal(Prod, alert.AccountId);
        Assert.Equal(End.AddMinutes(10), alert.SessionCreatedAt);
        Assert.False(alert.WasBlocked);
    }

    [Fact]
    public async Task A_refused_console_sign_in_is_blocked_and_one_of_another_user_or_role_is_not_matched()
    {
        var refused = TrailJson.AssumeRoleWithSaml("saml-2", End.AddMinutes(10), Prod, "Admin", User);
        refused["errorCode"] = "AccessDenied";
        refused["responseElements"] = null;

        var blocked = GapAlert.Match(await OneAsync(refused), Window());
        var (others, stats) = await ReadAsync(TrailJson.File([
            TrailJson.AssumeRoleWithSaml("bob", End.AddMinutes(10), Prod, "Admin", "bob@example.com"),
            TrailJson.AssumeRoleWithSaml("other-set", End.AddMinutes(10), Prod, "AdminReadOnly", User),
        ]));

        Assert.Equal(GapClass.Blocked, blocked!.Class);
        Assert.True(blocked.WasBlocked);
        Assert.Empty(others);
        Assert.Equal(2, stats.Records);
    }

    [Fact]
    public async Task A_console_sign_in_without_request_parameters_is_found_through_the_assumed_role_arn_and_resources()
    {
        var noRequest = TrailJson.AssumeRoleWithSaml("saml-3", End.AddMinutes(10), Prod, "Admin", User);
        noRequest.Remove("requestParameters");
        var onlyResources = TrailJson.AssumeRoleWithSaml("saml-4", End.AddMinutes(11), Prod, "Admin", User);
        onlyResources.Remove("requestParameters");
        onlyResources.Remove("responseElements");
        onlyResources.Remove("recipientAccountId");

        var (records, _) = await ReadAsync(TrailJson.File([noRequest, onlyResources]));

        Assert.Equal(["saml-3", "saml-4"], records.Select(r => r.EventId));
        Assert.All(records, r => Assert.Equal("Admin", r.PermissionSetName));
        Assert.Equal(Prod, records[1].AccountId);
        Assert.All(records, r => Assert.Equal(GapClass.CredentialsAfterExpiry, GapAlert.Match(r, Window())!.Class));
    }

    // ---------------------------------------------------------------- trimmed records

    [Fact]
    public async Task A_record_without_session_context_is_read_from_the_assumed_role_arn()
    {
        var record = TrailJson.RoleSessionCall("trim-1", End.AddMinutes(5), Prod, "Admin", User);
        record["userIdentity"]!.AsObject().Remove("sessionContext");
        record["userIdentity"]!.AsObject().Remove("principalId");

        var read = await OneAsync(record);
        var alert = GapAlert.Match(read, Window());

        Assert.Equal("AWSReservedSSO_Admin_7243976e43c75fc5", read.RoleName);
        Assert.Equal(User, read.SessionName);
        Assert.Null(read.SessionCreatedAt);
        Assert.Equal(GapClass.SucceededAfterFence, alert!.Class);
    }

    [Fact]
    public async Task A_session_issuer_without_user_name_is_read_from_its_arn()
    {
        var record = TrailJson.RoleSessionCall("trim-2", End.AddMinutes(5), Prod, "Admin", User, sessionCreated: End.AddHours(-1));
        record["userIdentity"]!["sessionContext"]!["sessionIssuer"]!.AsObject().Remove("userName");
        record["userIdentity"]!.AsObject().Remove("arn");

        var read = await OneAsync(record);

        Assert.Equal("Admin", read.PermissionSetName);
        Assert.Equal(End.AddHours(-1), read.SessionCreatedAt);
    }

    [Fact]
    public async Task The_account_falls_back_to_the_identity_and_then_to_the_arn()
    {
        var noRecipient = TrailJson.RoleSessionCall("acct-1", End.AddMinutes(5), Staging, "Admin", User);
        noRecipient.Remove("recipientAccountId");
        var noAccounts = TrailJson.RoleSessionCall("acct-2", End.AddMinutes(5), Staging, "Admin", User);
        noAccounts.Remove("recipientAccountId");
        noAccounts["userIdentity"]!.AsObject().Remove("accountId");
        noAccounts["userIdentity"]!["sessionContext"]!["sessionIssuer"]!.AsObject().Remove("accountId");

        var (records, _) = await ReadAsync(TrailJson.File([noRecipient, noAccounts]));

        Assert.Equal([Staging, Staging], records.Select(r => r.AccountId));
        Assert.All(records, r => Assert.NotNull(GapAlert.Match(r, Window())));
    }

    [Fact]
    public async Task A_record_whose_identity_has_no_type_but_an_assumed_role_arn_is_a_role_session()
    {
        var record = TrailJson.RoleSessionCall("trim-3", End.AddMinutes(5), Prod, "Admin", User);
        record["userIdentity"]!.AsObject().Remove("type");

        Assert.NotNull(GapAlert.Match(await OneAsync(record), Window()));
    }

    // ---------------------------------------------------------------- records without eventID

    [Fact]
    public async Task A_record_without_event_id_gets_a_stable_id_from_its_content()
    {
        JsonObject Call(string agent)
        {
            var r = TrailJson.RoleSessionCall("x", End.AddMinutes(5), Prod, "Admin", User, userAgent: agent);
            r.Remove("eventID");
            return r;
        }

        var (first, stats) = await ReadAsync(TrailJson.File([Call("agent-a"), Call("agent-b")]));
        var (again, _) = await ReadAsync(TrailJson.JsonLines([Call("agent-a")]));

        Assert.Equal(2, first.Count);
        Assert.StartsWith("derived:", first[0].EventId);
        Assert.NotEqual(first[0].EventId, first[1].EventId);
        Assert.Equal(first[0].EventId, Assert.Single(again).EventId);
        Assert.Equal(0, stats.MalformedRecords);
        Assert.Equal(2, stats.DerivedEventIds);
        Assert.Equal("gap|" + first[0].EventId, GapAlert.Match(first[0], Window())!.ToAlert(End).Id);
    }

    // ---------------------------------------------------------------- re-grants

    [Fact]
    public async Task Sessions_minted_after_a_re_grant_are_legitimate()
    {
        var regrant = End.AddMinutes(30);
        var window = Window(regranted: regrant);
        var newSession = await OneAsync(TrailJson.RoleSessionCall("new", End.AddMinutes(40), Prod, "Admin", User, sessionCreated: End.AddMinutes(31)));
        var oldSession = await OneAsync(TrailJson.RoleSessionCall("old", End.AddMinutes(40), Prod, "Admin", User, sessionCreated: End.AddHours(-1)));
        var mintedInGap = await OneAsync(TrailJson.RoleSessionCall("gap", End.AddMinutes(40), Prod, "Admin", User, sessionCreated: End.AddMinutes(10)));
        var portal = await OneAsync(TrailJson.GetRoleCredentials("portal", End.AddMinutes(35), UserId, Prod, "Admin"));
        var console = await OneAsync(TrailJson.AssumeRoleWithSaml("console", End.AddMinutes(35), Prod, "Admin", User));
        var portalInGap = await OneAsync(TrailJson.GetRoleCredentials("portal-gap", End.AddMinutes(20), UserId, Prod, "Admin"));

        Assert.Null(GapAlert.Match(newSession, window));
        Assert.Null(GapAlert.Match(portal, window));
        Assert.Null(GapAlert.Match(console, window));
        Assert.Equal(GapClass.SucceededAfterFence, GapAlert.Match(oldSession, window)!.Class);
        Assert.Equal(GapClass.CredentialsAfterExpiry, GapAlert.Match(mintedInGap, window)!.Class);
        Assert.Equal(GapClass.CredentialsAfterExpiry, GapAlert.Match(portalInGap, window)!.Class);
        Assert.Equal(GapClass.CredentialsAfterExpiry, GapAlert.Match(newSession, Window())!.Class);
    }

    [Fact]
    public async Task Without_an_issue_time_activity_after_a_re_grant_cannot_be_told_from_the_new_grants_and_is_not_alerted()
    {
        var record = TrailJson.RoleSessionCall("unknown", End.AddMinutes(40), Prod, "Admin", User);
        record["userIdentity"]!.AsObject().Remove("sessionContext");
        var before = TrailJson.RoleSessionCall("before", End.AddMinutes(20), Prod, "Admin", User);
        before["userIdentity"]!.AsObject().Remove("sessionContext");

        Assert.Null(GapAlert.Match(await OneAsync(record), Window(regranted: End.AddMinutes(30))));
        Assert.NotNull(GapAlert.Match(await OneAsync(before), Window(regranted: End.AddMinutes(30))));
    }
}
