using System.Text.Json;
using System.Text.Json.Nodes;
using PimBridge.Core.Notifications;

namespace PimBridge.Notifications;

/// <summary>
/// A sink that posts a rendered JSON message to a chat webhook. Slack and Teams differ only in the message they render
/// and in the advice they give when the webhook refuses it.
/// </summary>
internal abstract class ChatWebhookSink : INotificationSink
{
    private readonly Uri _url;
    private readonly HttpClient _http;
    private readonly string _type;

    protected ChatWebhookSink(string name, Uri url, HttpClient http, string type)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        _url = url ?? throw new ArgumentNullException(nameof(url));
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _type = type;
    }

    public string Name { get; }

    public Task SendAsync(Notification notification, CancellationToken cancellationToken = default) =>
        JsonPost.SendAsync(_http, _url, JsonSerializer.SerializeToUtf8Bytes(Render(notification), NotificationDocument.Serializer),
            Name, _type, null, Advice, cancellationToken);

    /// <summary>The message the webhook expects for <paramref name="notification"/>.</summary>
    protected abstract JsonNode Render(Notification notification);

    /// <summary>What to do about a refusal (status and body), or null for the generic advice.</summary>
    protected abstract string? Advice(int status, string body);
}
