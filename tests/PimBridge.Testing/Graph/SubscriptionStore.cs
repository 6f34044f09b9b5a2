using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using PimBridge.Sandbox;
using PimBridge.Sandbox.Graph;

namespace PimBridge.Testing.Graph;

/// <summary>
/// Graph's /subscriptions served by a <see cref="GraphStub"/>: POST creates (201 with the subscription), GET lists
/// (a collection page) or reads one, PATCH updates the expiry (200 with the subscription), POST …/reauthorize answers
/// 204. Unknown ids get Graph's 404. <see cref="ReauthorizeFailure"/> makes reauthorize fail.
/// </summary>
public sealed class SubscriptionStore
{
    public const string Context = "https://graph.microsoft.com/v1.0/$metadata#subscriptions";
    private readonly ConcurrentDictionary<string, JsonObject> _subscriptions = new(StringComparer.OrdinalIgnoreCase);
    private int _next;

    public SubscriptionStore(GraphStub stub)
    {
        stub.On("GET", "/subscriptions", _ => StubResponse.Ok(GraphJson.Page(Context, _subscriptions.Values.OrderBy(s => s["id"]!.GetValue<string>(), StringComparer.Ordinal))));
        stub.On("POST", "/subscriptions", Create);
        stub.On("GET", "/subscriptions/([^/]+)", (_, m) => _subscriptions.TryGetValue(m.Groups[1].Value, out var s)
            ? StubResponse.Ok(WithContext(s, "/$entity"))
            : NotFound(m.Groups[1].Value));
        stub.On("PATCH", "/subscriptions/([^/]+)", (r, m) => Patch(m.Groups[1].Value, r));
        stub.On("POST", "/subscriptions/([^/]+)/reauthorize", (_, m) =>
            ReauthorizeFailure is { } failure ? failure
            : _subscriptions.ContainsKey(m.Groups[1].Value) ? StubResponse.NoContent
            : NotFound(m.Groups[1].Value));
    }

    /// <summary>When set, every reauthorize call answers this.</summary>
    public StubResponse? ReauthorizeFailure { get; set; }

    public IReadOnlyCollection<JsonObject> All => _subscriptions.Values.ToList();

    public JsonObject Get(string id) => _subscriptions[id];

    /// <summary>An existing subscription, as if created earlier.</summary>
    public string Seed(string resource, DateTimeOffset expires, string notificationUrl = "EventGrid:?azuresubscriptionid=x", string changeType = "updated")
    {
        var id = NewId();
        _subscriptions[id] = GraphJson.Subscription(id, resource, changeType, notificationUrl, notificationUrl, expires);
        return id;
    }

    /// <summary>Graph deletes a subscription once it expires.</summary>
    public void Expire(string id) => _subscriptions.TryRemove(id, out _);

    public static DateTimeOffset ExpiryOf(JsonObject subscription) =>
        DateTimeOffset.Parse(subscription["expirationDateTime"]!.GetValue<string>(), CultureInfo.InvariantCulture);

    private StubResponse Create(StubRequest request)
    {
        var body = request.Json!.AsObject();
        var id = NewId();
        var subscription = GraphJson.Subscription(
            id,
            body["resource"]!.GetValue<string>(),
            body["changeType"]!.GetValue<string>(),
            body["notificationUrl"]!.GetValue<string>(),
            body["lifecycleNotificationUrl"]?.GetValue<string>(),
            DateTimeOffset.Parse(body["expirationDateTime"]!.GetValue<string>(), CultureInfo.InvariantCulture));
        _subscriptions[id] = subscription;
        return StubResponse.Created(WithContext(subscription, "/$entity"));
    }

    private StubResponse Patch(string id, StubRequest request)
    {
        if (!_subscriptions.TryGetValue(id, out var subscription))
            return NotFound(id);
        var expires = DateTimeOffset.Parse(request.Json!["expirationDateTime"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        subscription["expirationDateTime"] = expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        return StubResponse.Ok(WithContext(subscription, "/$entity"));
    }

    private static StubResponse NotFound(string id) =>
        StubResponse.Error(404, "ResourceNotFound", $"The object was not found. Subscription '{id}'");

    private static string WithContext(JsonObject subscription, string suffix)
    {
        var copy = new JsonObject { ["@odata.context"] = Context + suffix };
        foreach (var (key, value) in subscription) copy[key] = value?.DeepClone();
        return copy.ToJsonString();
    }

    private string NewId() => $"7f105c7d-2dc5-4530-97cd-{Interlocked.Increment(ref _next):D12}";
}
