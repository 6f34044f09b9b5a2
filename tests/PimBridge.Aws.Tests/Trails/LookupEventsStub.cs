using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PimBridge.Aws.CloudTrail;

namespace PimBridge.Aws.Tests.Trails;

/// <summary>
/// CloudTrail LookupEvents as aws-apis.md §10.1 describes it, behind the real signer: one event history per (account,
/// Region), told apart by the endpoint host <c>cloudtrail.&lt;account&gt;.&lt;region&gt;.stub.test</c>. It applies the one
/// lookup attribute and the inclusive epoch-second range, answers most recent first in pages of <see cref="PageSize"/>,
/// and rejects a NextToken sent with different parameters (InvalidNextTokenException), as CloudTrail does.
/// </summary>
public sealed class LookupEventsStub(TimeProvider time) : HttpMessageHandler
{
    public sealed record Call(string Account, string Region, DateTimeOffset At, string AccessKeyId, string? SecurityToken, string Body)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;
        public string AttributeKey => Json.GetProperty("LookupAttributes")[0].GetProperty("AttributeKey").GetString()!;
        public string AttributeValue => Json.GetProperty("LookupAttributes")[0].GetProperty("AttributeValue").GetString()!;
        public long StartTime => Json.GetProperty("StartTime").GetInt64();
        public long EndTime => Json.GetProperty("EndTime").GetInt64();
        public string? NextToken => Json.TryGetProperty("NextToken", out var t) ? t.GetString() : null;
    }

    private sealed record StubEvent(string Username, string EventName, long EventTime, string EventId, string CloudTrailEvent);

    private readonly Lock _gate = new();
    private readonly Dictionary<(string, string), List<StubEvent>> _history = [];
    private readonly List<Call> _calls = [];
    private int _throttle;

    public int PageSize { get; set; } = 50;

    /// <summary>Accounts whose calls are refused with AccessDeniedException (the role lacks cloudtrail:LookupEvents).</summary>
    public HashSet<string> Deny { get; } = [];

    public IReadOnlyList<Call> Calls { get { lock (_gate) return [.. _calls]; } }

    public static Uri EndpointFor(string account, string region) => new($"https://cloudtrail.{account}.{region}.stub.test/");

    /// <summary>Points a source's CloudTrail clients at this stub.</summary>
    public void Configure(string account, string region, CloudTrailClientOptions options)
    {
        options.HttpHandler = this;
        options.Endpoint = EndpointFor(account, region);
    }

    /// <summary>The next <paramref name="count"/> calls are throttled (HTTP 400 ThrottlingException).</summary>
    public void Throttle(int count) { lock (_gate) _throttle = count; }

    /// <summary>Adds a record to the history of its account and Region, found by <paramref name="username"/> and its eventName.</summary>
    public void Add(string account, string region, string username, JsonObject record) =>
        AddRaw(account, region, username, (string)record["eventName"]!, DateTimeOffset.Parse((string)record["eventTime"]!, System.Globalization.CultureInfo.InvariantCulture), (string)record["eventID"]!, record.ToJsonString());

    /// <summary>Adds an event whose CloudTrailEvent string is exactly <paramref name="cloudTrailEvent"/> (for malformed ones).</summary>
    public void AddRaw(string account, string region, string username, string eventName, DateTimeOffset eventTime, string eventId, string cloudTrailEvent)
    {
        lock (_gate)
        {
            if (!_history.TryGetValue((account, region), out var list)) _history[(account, region)] = list = [];
            list.Add(new StubEvent(username, eventName, eventTime.ToUnixTimeSeconds(), eventId, cloudTrailEvent));
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = await request.Content!.ReadAsStringAsync(cancellationToken);
        var host = request.RequestUri!.Host.Split('.');
        var (account, region) = (host[1], host[2]);
        var authorization = request.Headers.TryGetValues("Authorization", out var a) ? a.First() : "";
        var keyStart = authorization.IndexOf("Credential=", StringComparison.Ordinal) + "Credential=".Length;
        var accessKey = authorization[keyStart..authorization.IndexOf('/', keyStart)];
        var token = request.Headers.TryGetValues("X-Amz-Security-Token", out var t) ? t.First() : null;
        var call = new Call(account, region, time.GetUtcNow(), accessKey, token, body);
        List<StubEvent> history;
        lock (_gate)
        {
            _calls.Add(call);
            if (_throttle > 0)
            {
                _throttle--;
                return Error("ThrottlingException", "Rate exceeded");
            }

            history = _history.TryGetValue((account, region), out var h) ? [.. h] : [];
        }

        if (Deny.Contains(account))
            return Error("AccessDeniedException", $"User: arn:aws:sts::{account}:assumed-role/PimBridgeAudit/pimbridge-gap-detector is not authorized to perform: cloudtrail:LookupEvents because no identity-based policy allows the cloudtrail:LookupEvents action");

        var (key, value, start, end) = (call.AttributeKey, call.AttributeValue, call.StartTime, call.EndTime);
        var parameters = $"{key}|{value}|{start}|{end}";
        var offset = 0;
        if (call.NextToken is { } next)
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(next)).Split('#');
            if (decoded[1] != parameters)
                return Error("InvalidNextTokenException", "A token was sent with parameters that differ from the original request.");
            offset = int.Parse(decoded[0], System.Globalization.CultureInfo.InvariantCulture);
        }

        var matching = history
            .Where(e => key switch { "Username" => e.Username == value, "EventName" => e.EventName == value, _ => false })
            .Where(e => e.EventTime >= start && e.EventTime <= end)
            .OrderByDescending(e => e.EventTime).ThenBy(e => e.EventId, StringComparer.Ordinal)
            .ToList();
        var page = matching.Skip(offset).Take(PageSize).ToList();
        var events = new JsonArray(page.Select(e => (JsonNode)new JsonObject
        {
            ["EventId"] = e.EventId,
            ["EventName"] = e.EventName,
            ["ReadOnly"] = "true",
            ["EventTime"] = e.EventTime,
            ["EventSource"] = "s3.amazonaws.com",
            ["Username"] = e.Username,
            ["Resources"] = new JsonArray(),
            ["CloudTrailEvent"] = e.CloudTrailEvent,
        }).ToArray());
        var answer = new JsonObject { ["Events"] = events };
        if (offset + PageSize < matching.Count)
            answer["NextToken"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{offset + PageSize}#{parameters}"));
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(answer.ToJsonString(), Encoding.UTF8, "application/x-amz-json-1.1") };
    }

    private static HttpResponseMessage Error(string type, string message) => new(HttpStatusCode.BadRequest)
    {
        Content = new StringContent(new JsonObject { ["__type"] = type, ["message"] = message }.ToJsonString(), Encoding.UTF8, "application/x-amz-json-1.1"),
    };
}
