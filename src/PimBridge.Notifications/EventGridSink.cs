using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using PimBridge.Core.Notifications;

namespace PimBridge.Notifications;

/// <summary>
/// Publishes each notification to an Azure Event Grid topic as a CloudEvent 1.0, so any number of subscribers
/// (Logic Apps, Functions, Sentinel, a queue) can act on it without PimBridge knowing them. The event id is the
/// notification id: delivery is at least once and subscribers dedupe by it.
/// </summary>
/// <remarks>
/// type <c>PimBridge.Alert</c> | <c>PimBridge.AccessLive</c> | <c>PimBridge.ExpiresSoon</c> | <c>PimBridge.AccessRemoved</c>;
/// source <c>/pimbridge</c>; subject the user, else the alert kind, else the kind; time the notification's time;
/// extension attribute <c>severity</c> (for Event Grid advanced filters); data the <see cref="NotificationDocument"/>
/// as <c>application/json</c>. The topic must use the CloudEvents v1.0 input schema.
/// </remarks>
internal sealed class EventGridSink : INotificationSink
{
    /// <summary>The CloudEvents source of every event PimBridge publishes.</summary>
    public const string Source = "/pimbridge";

    private readonly EventGridPublisherClient _client;
    private readonly Uri _endpoint;
    private readonly bool _keyAuth;

    /// <summary>
    /// Publishes to the topic at <paramref name="endpoint"/> with the topic access key when <paramref name="accessKey"/>
    /// is set (sent as <c>aeg-sas-key</c>), otherwise with Entra tokens from <paramref name="credential"/> (the identity
    /// needs the EventGrid Data Sender role on the topic). Requests go through <paramref name="http"/> when given, so
    /// the host's HttpClient settings (proxy, timeout) apply. The SDK's own retries are off: the outbox retries with
    /// backoff, and two retry loops would multiply attempts.
    /// </summary>
    public EventGridSink(string name, Uri endpoint, string? accessKey, TokenCredential? credential, HttpClient? http = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        _endpoint = endpoint ?? throw new ArgumentNullException(nameof(endpoint));
        _keyAuth = !string.IsNullOrEmpty(accessKey);
        if (!_keyAuth && credential is null)
            throw new ArgumentException($"Event Grid sink '{name}' needs an access key or a token credential.", nameof(credential));

        var options = new EventGridPublisherClientOptions();
        options.Retry.MaxRetries = 0;
        if (http is not null) options.Transport = new HttpClientTransport(http);
        _client = _keyAuth
            ? new EventGridPublisherClient(endpoint, new AzureKeyCredential(accessKey!), options)
            : new EventGridPublisherClient(endpoint, credential!, options);
    }

    public string Name { get; }

    /// <summary>The CloudEvent this sink publishes for <paramref name="notification"/>.</summary>
    public static CloudEvent ToCloudEvent(Notification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var cloudEvent = new CloudEvent(Source, $"PimBridge.{notification.Kind}",
            new BinaryData(NotificationDocument.ToUtf8Json(notification)), "application/json", CloudEventDataFormat.Json)
        {
            Id = notification.Id,
            Time = notification.At,
            Subject = FirstOf(notification.User, notification.AlertKind) ?? NotificationDocument.KindName(notification.Kind),
        };
        cloudEvent.ExtensionAttributes["severity"] = NotificationDocument.SeverityName(notification.Severity);
        return cloudEvent;
    }

    public async Task SendAsync(Notification notification, CancellationToken cancellationToken = default)
    {
        var cloudEvent = ToCloudEvent(notification);
        try
        {
            await _client.SendEventAsync(cloudEvent, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status != 0)
        {
            var retryAfter = ex.Status is 429 or 503 ? RetryAfter(ex.GetRawResponse()) : null;
            var code = string.IsNullOrEmpty(ex.ErrorCode) ? "" : $" {ex.ErrorCode}";
            throw new NotificationDeliveryException(Name,
                $"Notification sink '{Name}' (eventgrid): the topic at {JsonPost.Origin(_endpoint)} answered {ex.Status}{code}. {Advice(ex.Status, retryAfter)}",
                ex.Status, retryAfter, ex);
        }
        catch (RequestFailedException ex)
        {
            throw new NotificationDeliveryException(Name,
                $"Notification sink '{Name}' (eventgrid): could not reach the topic at {JsonPost.Origin(_endpoint)}: {FirstLine(ex.Message)} Check the Endpoint and that this host can reach it (DNS, proxy, firewall, private endpoint).",
                inner: ex);
        }
        catch (AuthenticationFailedException ex)
        {
            throw new NotificationDeliveryException(Name,
                $"Notification sink '{Name}' (eventgrid): could not get an Entra token to publish with: {FirstLine(ex.Message)} Check the host's identity (managed identity, workload identity or AZURE_* variables), or set the sink's AccessKey.",
                inner: ex);
        }
    }

    private string Advice(int status, TimeSpan? retryAfter) => status switch
    {
        400 => "Event Grid rejected the event; check that the topic's input schema is CloudEvents v1.0 (it is fixed when the topic is created).",
        401 or 403 when _keyAuth => "Event Grid refused the access key; check AccessKey (Topic > Access keys) and that local authentication is not disabled on the topic.",
        401 or 403 => "Event Grid refused the Entra token; give the host's identity the 'EventGrid Data Sender' role on the topic (role assignments can take minutes to apply).",
        404 => "No topic at that Endpoint; copy the Topic Endpoint from the topic's Overview (it ends in /api/events).",
        413 => "The event is larger than Event Grid accepts (1 MB); shorten the notification's facts.",
        _ => JsonPost.CommonAdvice(status, retryAfter),
    };

    private static TimeSpan? RetryAfter(Response? response)
    {
        if (response is null || !response.Headers.TryGetValue("Retry-After", out var value)) return null;
        return System.Net.Http.Headers.RetryConditionHeaderValue.TryParse(value, out var parsed)
            ? JsonPost.RetryAfter(parsed, DateTimeOffset.UtcNow)
            : null;
    }

    private static string? FirstOf(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    private static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].Trim();
        return line.EndsWith('.') ? line : line + ".";
    }
}
