using PimBridge.Core.Domain;
using PimBridge.Core.Fences;

namespace PimBridge.Core.Gaps;

/// <summary>
/// AWS activity by a user after their PIM grant ended, in an account and permission set the grant covered. One per
/// CloudTrail event (its <see cref="EventId"/> is the alert's identity, so re-reading an event never alerts twice).
/// </summary>
public sealed record GapAlert
{
    public required GapClass Class { get; init; }
    public required AlertSeverity Severity { get; init; }
    public required string EventId { get; init; }
    public required DateTimeOffset EventTime { get; init; }
    public required string EventSource { get; init; }
    public required string EventName { get; init; }
    public required string GrantId { get; init; }
    public required string UserId { get; init; }
    public required string UserName { get; init; }
    public required string PermissionSetName { get; init; }
    public required string AccountId { get; init; }
    public string? Region { get; init; }
    public string? SourceIpAddress { get; init; }
    public string? UserAgent { get; init; }
    public string? ErrorCode { get; init; }

    /// <summary>When the grant ended (the watch window's start).</summary>
    public required DateTimeOffset ExpiredAt { get; init; }

    /// <summary>When the session's credentials were issued, when the record says (for a credential call, the call itself).</summary>
    public DateTimeOffset? SessionCreatedAt { get; init; }

    public DateTimeOffset? FencedSince { get; init; }
    public string? FenceId { get; init; }

    /// <summary>Whether the call itself was refused, whatever the class says about how it came to be made.</summary>
    public bool WasBlocked { get; init; }

    public TimeSpan AfterExpiry => EventTime - ExpiredAt;

    public const string KindPrefix = "gap.";

    public static string AlertId(string eventId) => $"gap|{eventId}";

    public static string ClassName(GapClass value) => value switch
    {
        GapClass.Blocked => "blocked",
        GapClass.SucceededBeforeFence => "succeeded-before-fence",
        GapClass.SucceededAfterFence => "succeeded-after-fence",
        GapClass.CredentialsAfterExpiry => "credentials-after-expiry",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, null),
    };

    /// <summary>
    /// Matches one record against one watch window and classifies it; null when the record is not this window's
    /// user acting with this window's permission set in one of its accounts during the window, or when a later grant
    /// of that permission set explains it (credentials minted, or a session issued, from the re-grant on).
    /// </summary>
    public static GapAlert? Match(TrailRecord record, GapWatchWindow window)
    {
        if (record.EventTime <= window.From || record.EventTime > window.Until)
            return null;
        var regranted = window.RegrantedAt is { } again && record.EventTime >= again ? again : (DateTimeOffset?)null;

        if (record.IsGetRoleCredentials || record.IsSamlFederation)
        {
            string? account;
            if (record.IsGetRoleCredentials)
            {
                account = record.TargetAccountId;
                if (record.OnBehalfOfUserId != window.UserId || !string.Equals(record.TargetRoleName, window.PermissionSetName, StringComparison.Ordinal))
                    return null;
            }
            else
            {
                // A console sign-in (or the CLI's second step) in the member account: only the session name is the user.
                account = record.AccountId;
                if (!string.Equals(record.SessionName, window.UserName, StringComparison.OrdinalIgnoreCase)
                    || !string.Equals(record.PermissionSetName, window.PermissionSetName, StringComparison.Ordinal))
                    return null;
            }

            if (account is null || !window.Accounts.Contains(account) || regranted is not null)
                return null;
            var denied = record.ErrorCode is not null;
            return Build(record, window, account, denied ? GapClass.Blocked : GapClass.CredentialsAfterExpiry, record.EventTime, denied);
        }

        if (record.IdentityType != "AssumedRole"
            || !string.Equals(record.PermissionSetName, window.PermissionSetName, StringComparison.Ordinal)
            || record.AccountId is not { } sessionAccount || !window.Accounts.Contains(sessionAccount))
            return null;
        var sameUser = (record.OnBehalfOfUserId is { } id && id == window.UserId)
            || (record.SessionName is { } session && string.Equals(session, window.UserName, StringComparison.OrdinalIgnoreCase));
        if (!sameUser)
            return null;

        // After a re-grant, only a session known to be issued before it can be a gap: one issued since is the new
        // grant's, and one whose issue time the record lost cannot be told from those.
        if (regranted is { } start && (record.SessionCreatedAt is not { } issued || issued >= start))
            return null;

        var blocked = IsDenied(record.ErrorCode, record.ErrorMessage);
        GapClass cls;
        if (record.SessionCreatedAt is { } created && created > window.From)
            cls = GapClass.CredentialsAfterExpiry;
        else if (blocked)
            cls = GapClass.Blocked;
        else if (window.FencedSince is { } fenced && record.EventTime >= fenced)
            cls = GapClass.SucceededAfterFence;
        else
            cls = GapClass.SucceededBeforeFence;
        return Build(record, window, sessionAccount, cls, record.SessionCreatedAt, blocked);
    }

    /// <summary>
    /// Whether an error means IAM (or STS) refused the call, as opposed to a call that was authorized and then failed
    /// (a missing resource, a validation error): only a refusal shows that a fence or removal held.
    /// </summary>
    public static bool IsDenied(string? errorCode, string? errorMessage)
    {
        if (errorCode is null) return false;
        ReadOnlySpan<string> markers = ["AccessDenied", "Unauthorized", "Forbidden", "NotAuthorized", "AuthorizationError", "ExpiredToken", "InvalidClientTokenId", "SignatureDoesNotMatch"];
        foreach (var marker in markers)
            if (errorCode.Contains(marker, StringComparison.OrdinalIgnoreCase)) return true;
        return errorMessage?.Contains("not authorized to perform", StringComparison.OrdinalIgnoreCase) == true;
    }

    private static GapAlert Build(TrailRecord record, GapWatchWindow window, string account, GapClass cls, DateTimeOffset? minted, bool blocked) => new()
    {
        Class = cls,
        Severity = SeverityOf(cls, minted, window),
        EventId = record.EventId,
        EventTime = record.EventTime,
        EventSource = record.EventSource,
        EventName = record.EventName,
        GrantId = window.GrantId,
        UserId = window.UserId,
        UserName = window.UserName,
        PermissionSetName = window.PermissionSetName,
        AccountId = account,
        Region = record.AwsRegion,
        SourceIpAddress = record.SourceIpAddress,
        UserAgent = record.UserAgent,
        ErrorCode = record.ErrorCode,
        ExpiredAt = window.From,
        SessionCreatedAt = minted,
        FencedSince = window.FencedSince,
        FenceId = window.FenceId,
        WasBlocked = blocked,
    };

    /// <summary>
    /// A fence that did not hold is critical; so are credentials minted after the removal was confirmed. Credentials
    /// minted between the end and the confirmed removal are the removal still in flight: a warning.
    /// </summary>
    private static AlertSeverity SeverityOf(GapClass cls, DateTimeOffset? minted, GapWatchWindow window) => cls switch
    {
        GapClass.Blocked => AlertSeverity.Info,
        GapClass.SucceededBeforeFence => AlertSeverity.Warning,
        GapClass.SucceededAfterFence => AlertSeverity.Critical,
        GapClass.CredentialsAfterExpiry when window.RemovedAt is { } removed && minted is { } m && m <= removed => AlertSeverity.Warning,
        _ => AlertSeverity.Critical,
    };

    /// <summary>The stored alert: facts for the CLI, the sinks and the audit trail.</summary>
    public Alert ToAlert(DateTimeOffset detectedAt)
    {
        var call = $"{EventSource.Replace(".amazonaws.com", "", StringComparison.Ordinal)}:{EventName}";
        var after = Durations.Describe(AfterExpiry);
        var (what, todo) = Class switch
        {
            GapClass.Blocked => ("was denied: the fence or the removal held", "No action is needed unless the attempts continue; check who is using the user's credentials."),
            GapClass.SucceededBeforeFence => ("succeeded before the session fence was in place", "Review what the call did; the session was fenced afterwards."),
            GapClass.SucceededAfterFence => ("succeeded after the session fence was confirmed: the fence did not hold", "Check the permission set's inline policy and provisioning status now, and revoke the user's sessions in IAM."),
            _ => (WasBlocked ? "used credentials issued after access ended (the call was denied)" : "used credentials issued after access ended: the removal did not hold", "Check the user's account assignments and group memberships in Identity Center now, and run `pimbridge revoke`."),
        };
        var facts = new Dictionary<string, string>
        {
            ["class"] = ClassName(Class),
            ["outcome"] = WasBlocked ? "blocked" : "succeeded",
            ["user"] = UserName,
            ["userId"] = UserId,
            ["grant"] = GrantId,
            ["permissionSet"] = PermissionSetName,
            ["account"] = AccountId,
            ["region"] = Region ?? "",
            ["eventSource"] = EventSource,
            ["eventName"] = EventName,
            ["eventTime"] = FencePolicy.Iso(EventTime),
            ["expiredAt"] = FencePolicy.Iso(ExpiredAt),
            ["afterExpiry"] = after,
            ["sourceIp"] = SourceIpAddress ?? "",
            ["userAgent"] = UserAgent ?? "",
            ["eventId"] = EventId,
        };
        if (ErrorCode is not null) facts["errorCode"] = ErrorCode;
        if (SessionCreatedAt is { } created) facts["sessionCreated"] = FencePolicy.Iso(created);
        if (FencedSince is { } fenced) facts["fencedSince"] = FencePolicy.Iso(fenced);
        if (FenceId is not null) facts["fence"] = FenceId;
        return new Alert
        {
            Id = AlertId(EventId),
            At = detectedAt,
            Severity = Severity,
            Kind = KindPrefix + ClassName(Class),
            Subject = UserName,
            Message = $"{UserName}'s {PermissionSetName} session in {AccountId} called {call} {after} after PIM access ended; it {what}. {todo}",
            Facts = facts,
        };
    }
}
