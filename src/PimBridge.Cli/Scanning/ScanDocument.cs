using System.Text.Json.Serialization;
using PimBridge.Cli.Output;
using PimBridge.Core.Gaps;

namespace PimBridge.Cli.Scanning;

/// <summary>The <c>scan --json</c> document: the alerts shown and what the scan read (field names documented in docs/cli.md).</summary>
internal sealed record ScanDocument(
    [property: JsonPropertyName("alerts")] IReadOnlyList<AlertDocument> Alerts,
    [property: JsonPropertyName("stats")] ScanStatsDocument Stats);

/// <summary>One alert of <see cref="ScanDocument"/>: a CloudTrail event after a grant ended, and how it was classified.</summary>
internal sealed record AlertDocument(
    [property: JsonPropertyName("class")] string Class,
    [property: JsonPropertyName("severity")] string Severity,
    [property: JsonPropertyName("user")] string User,
    [property: JsonPropertyName("userId")] string? UserId,
    [property: JsonPropertyName("grant")] string Grant,
    [property: JsonPropertyName("permissionSet")] string PermissionSet,
    [property: JsonPropertyName("account")] string Account,
    [property: JsonPropertyName("region")] string? Region,
    [property: JsonPropertyName("eventSource")] string EventSource,
    [property: JsonPropertyName("eventName")] string EventName,
    [property: JsonPropertyName("eventTime")] string EventTime,
    [property: JsonPropertyName("expiredAt")] string ExpiredAt,
    [property: JsonPropertyName("afterExpirySeconds")] long AfterExpirySeconds,
    [property: JsonPropertyName("sourceIp")] string? SourceIp,
    [property: JsonPropertyName("userAgent")] string? UserAgent,
    [property: JsonPropertyName("errorCode")] string? ErrorCode,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("eventId")] string EventId)
{
    public static AlertDocument From(GapAlert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return new AlertDocument(
            GapAlert.ClassName(alert.Class), Formats.Severity(alert.Severity), alert.UserName, alert.UserId.Length == 0 ? null : alert.UserId,
            alert.GrantId, alert.PermissionSetName, alert.AccountId, alert.Region, alert.EventSource, alert.EventName,
            Formats.Time(alert.EventTime), Formats.Time(alert.ExpiredAt), (long)Math.Floor(alert.AfterExpiry.TotalSeconds),
            alert.SourceIpAddress, alert.UserAgent, alert.ErrorCode, alert.WasBlocked ? "blocked" : "succeeded", alert.EventId);
    }
}

/// <summary>What the scan read, and the alerts it found by class and severity (including those below <c>--severity</c>).</summary>
internal sealed record ScanStatsDocument(
    [property: JsonPropertyName("windows")] int Windows,
    [property: JsonPropertyName("files")] long Files,
    [property: JsonPropertyName("records")] long Records,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("malformedRecords")] long MalformedRecords,
    [property: JsonPropertyName("damagedFiles")] long DamagedFiles,
    [property: JsonPropertyName("problems")] IReadOnlyList<string> Problems,
    [property: JsonPropertyName("normalisedTimes")] long NormalisedTimes,
    [property: JsonPropertyName("derivedEventIds")] long DerivedEventIds,
    [property: JsonPropertyName("alerts")] int Alerts,
    [property: JsonPropertyName("alertsShown")] int AlertsShown,
    [property: JsonPropertyName("byClass")] IReadOnlyDictionary<string, int> ByClass,
    [property: JsonPropertyName("bySeverity")] IReadOnlyDictionary<string, int> BySeverity);
