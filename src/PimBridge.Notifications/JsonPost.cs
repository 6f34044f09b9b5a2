using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace PimBridge.Notifications;

/// <summary>
/// POSTs a JSON body for an HTTP sink and turns every failure into a <see cref="NotificationDeliveryException"/> that
/// says which sink failed, what the receiver answered and what to check. URLs are reported by origin only: webhook
/// paths and queries carry secrets (Slack's token, the Teams workflow's signature).
/// </summary>
internal static class JsonPost
{
    /// <summary>How much of an error body goes into the exception message; receivers explain themselves in a few words.</summary>
    private const int ErrorBodyChars = 300;

    internal static async Task SendAsync(
        HttpClient http,
        Uri url,
        byte[] body,
        string sink,
        string type,
        IEnumerable<KeyValuePair<string, string>>? headers,
        Func<int, string, string?> hint,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        // No charset parameter: JSON is UTF-8 by definition (RFC 8259) and some receivers compare the media type exactly.
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in headers ?? [])
            request.Headers.TryAddWithoutValidation(name, value);

        var origin = Origin(url);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new NotificationDeliveryException(sink,
                $"Notification sink '{sink}' ({type}): {origin} did not answer within {http.Timeout.TotalSeconds:0.#}s. The notification will be retried; if this persists, check that {origin} is up and reachable from this host.",
                inner: ex);
        }
        catch (HttpRequestException ex)
        {
            throw new NotificationDeliveryException(sink,
                $"Notification sink '{sink}' ({type}): could not reach {origin}: {ex.Message} Check the sink's Url and that this host can reach it (DNS, proxy, firewall, TLS).",
                inner: ex);
        }

        using (response)
        {
            if (response.IsSuccessStatusCode) return;

            var status = (int)response.StatusCode;
            var text = await ReadSnippetAsync(response, cancellationToken).ConfigureAwait(false);
            var retryAfter = status is 429 or 503 ? RetryAfter(response.Headers.RetryAfter, DateTimeOffset.UtcNow) : null;
            var answered = $"{origin} answered {status} {response.ReasonPhrase}".TrimEnd() + (text.Length > 0 ? $" ({text})" : "");
            var advice = hint(status, text) ?? CommonAdvice(status, retryAfter);
            throw new NotificationDeliveryException(sink, $"Notification sink '{sink}' ({type}): {answered}. {advice}", status, retryAfter);
        }
    }

    /// <summary>What to check for statuses a sink has nothing more specific to say about.</summary>
    internal static string CommonAdvice(int status, TimeSpan? retryAfter) => status switch
    {
        400 => "The receiver rejected the payload; check that the Url is the endpoint this sink type posts to.",
        401 or 403 => "The receiver refused the credentials; check the sink's Url (and Headers, for a webhook).",
        404 or 410 => "Nothing is listening at that Url any more; check the sink's Url (the webhook may have been deleted).",
        413 => "The receiver found the payload too large; raise its limit or send this kind of notification elsewhere.",
        429 => $"The receiver is rate limiting PimBridge; the notification will be retried{(retryAfter is { } d ? $" after {d.TotalSeconds:0}s as it asked" : "")}.",
        >= 500 => $"The receiver failed; the notification will be retried{(retryAfter is { } d ? $" after {d.TotalSeconds:0}s as it asked" : "")}. If this persists, check the receiver's health.",
        _ => "Check the sink's Url and the receiver's logs.",
    };

    /// <summary>Retry-After as a delay: seconds, or an HTTP date relative to <paramref name="now"/> (never negative).</summary>
    internal static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now)
    {
        if (header?.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header?.Date is { } date) return date > now ? date - now : TimeSpan.Zero;
        return null;
    }

    /// <summary>scheme://host[:port] only: the rest of a webhook URL is a secret.</summary>
    internal static string Origin(Uri url) => url.GetLeftPart(UriPartial.Authority);

    private static async Task<string> ReadSnippetAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var raw = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var flat = new StringBuilder(Math.Min(raw.Length, ErrorBodyChars + 1));
            foreach (var c in raw)
            {
                if (flat.Length > ErrorBodyChars) break;
                flat.Append(char.IsControl(c) ? ' ' : c);
            }

            var text = flat.ToString().Trim();
            return text.Length > ErrorBodyChars ? text[..ErrorBodyChars] + "…" : text;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidOperationException)
        {
            return ""; // The status says enough; an unreadable error body must not hide it.
        }
    }

    internal static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
