using PimBridge.Core.Notifications;

namespace PimBridge.Notifications;

/// <summary>
/// POSTs each notification as the <see cref="NotificationDocument"/> JSON to a URL of your own (a SIEM collector, a
/// ticketing bridge, a function), with the configured extra headers, for example an Authorization header. Any 2xx is
/// delivered; anything else throws a <see cref="NotificationDeliveryException"/> (with the receiver's Retry-After on
/// 429 and 503) so the outbox retries.
/// </summary>
internal sealed class WebhookSink : INotificationSink
{
    private readonly Uri _url;
    private readonly IReadOnlyList<KeyValuePair<string, string>> _headers;
    private readonly HttpClient _http;

    /// <param name="headers">Sent with every request; Content-Type is always <c>application/json</c> and cannot be overridden.</param>
    public WebhookSink(string name, Uri url, IReadOnlyDictionary<string, string>? headers, HttpClient http)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        _url = url ?? throw new ArgumentNullException(nameof(url));
        _headers = [.. headers ?? new Dictionary<string, string>()];
        _http = http ?? throw new ArgumentNullException(nameof(http));
    }

    public string Name { get; }

    public Task SendAsync(Notification notification, CancellationToken cancellationToken = default) =>
        JsonPost.SendAsync(_http, _url, NotificationDocument.ToUtf8Json(notification), Name, "webhook", _headers, Advice, cancellationToken);

    private static string? Advice(int status, string body) => status switch
    {
        400 or 422 => "The receiver rejected PimBridge's JSON document; check that it accepts the schema in docs/notifications.md (schemaVersion 1).",
        401 or 403 => "The receiver refused the credentials; check the sink's Headers (for example Authorization) and the receiver's access settings.",
        _ => null,
    };
}
