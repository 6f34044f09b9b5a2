using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PimBridge.Core.Domain;
using PimBridge.Core.Notifications;

namespace PimBridge.Notifications;

/// <summary>
/// Renders a notification as a Slack incoming-webhook message, within Slack's documented Block Kit limits: at most
/// 50 blocks per message, header text 150 characters, section text 3000, at most 10 fields per section and 2000
/// characters per field. Long text is split over several sections, long values are cut with "…", never inside an
/// HTML entity or a surrogate pair. Untrusted values (CloudTrail's user agent, for one) have <c>&amp; &lt; &gt;</c>
/// escaped as Slack requires, so they cannot form links or mentions.
/// </summary>
internal static class SlackMessage
{
    internal const int MaxBlocks = 50;
    internal const int MaxHeaderText = 150;
    internal const int MaxSectionText = 3000;
    internal const int MaxFieldsPerSection = 10;
    internal const int MaxFieldText = 2000;
    internal const int MaxFallbackText = 3000;

    /// <summary>Sections the text may take; the rest of the 50 blocks are for facts, the header and the context.</summary>
    private const int MaxTextSections = 4;

    internal static JsonObject Render(Notification n)
    {
        ArgumentNullException.ThrowIfNull(n);
        var marker = Marker(n);
        var title = string.IsNullOrWhiteSpace(n.Title) ? NotificationDocument.KindName(n.Kind) : n.Title.Trim();
        var blocks = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "header",
                ["text"] = PlainText(Truncate($"{marker} {title}", MaxHeaderText)),
            },
        };

        if (!string.IsNullOrWhiteSpace(n.Text))
        {
            foreach (var chunk in Split(Escape(n.Text.Trim()), MaxSectionText).Take(MaxTextSections))
                blocks.Add(new JsonObject { ["type"] = "section", ["text"] = Mrkdwn(chunk) });
        }

        var fields = NotificationDocument.UniqueFacts(n.Facts)
            .Select(f => Truncate($"*{Escape(f.Key)}*\n{(string.IsNullOrWhiteSpace(f.Value) ? "—" : Escape(f.Value))}", MaxFieldText))
            .ToList();
        var room = (MaxBlocks - blocks.Count - 1) * MaxFieldsPerSection; // - 1: the context block
        if (fields.Count > room)
        {
            var hidden = fields.Count - room + 1;
            fields = [.. fields.Take(room - 1), $"*…*\n{hidden} more facts not shown; the webhook and Event Grid sinks carry them all."];
        }

        foreach (var section in fields.Chunk(MaxFieldsPerSection))
            blocks.Add(new JsonObject { ["type"] = "section", ["fields"] = new JsonArray([.. section.Select(f => (JsonNode)Mrkdwn(f))]) });

        blocks.Add(new JsonObject
        {
            ["type"] = "context",
            ["elements"] = new JsonArray(
                Mrkdwn(Describe(n)),
                Mrkdwn(n.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture)),
                Mrkdwn(Truncate($"Notification `{Escape(n.Id)}`", MaxSectionText))),
        });

        return new JsonObject
        {
            // Shown in notifications and by screen readers; Slack requires it alongside blocks for accessibility.
            ["text"] = Truncate(Escape($"{marker} {title}" + (string.IsNullOrWhiteSpace(n.Text) ? "" : $" — {n.Text.Trim()}")), MaxFallbackText),
            ["blocks"] = blocks,
            // A security alert should not pull previews of whatever URL a fact happens to contain.
            ["unfurl_links"] = false,
            ["unfurl_media"] = false,
        };
    }

    /// <summary>An emoji a reader can scan for: by severity for alerts, by what happened for access notifications.</summary>
    internal static string Marker(Notification n) => n.Kind switch
    {
        NotificationKind.Alert => n.Severity switch
        {
            AlertSeverity.Critical => ":rotating_light:",
            AlertSeverity.Warning => ":warning:",
            _ => ":information_source:",
        },
        NotificationKind.AccessLive => ":unlock:",
        NotificationKind.ExpiresSoon => ":hourglass_flowing_sand:",
        NotificationKind.AccessRemoved => ":lock:",
        _ => ":bell:",
    };

    private static string Describe(Notification n)
    {
        var severity = NotificationDocument.SeverityName(n.Severity);
        var what = n.Kind == NotificationKind.Alert
            ? $"*{char.ToUpperInvariant(severity[0])}{severity[1..]}* alert"
            : NotificationDocument.KindName(n.Kind);
        if (!string.IsNullOrWhiteSpace(n.AlertKind)) what += $" `{Escape(n.AlertKind)}`";
        if (!string.IsNullOrWhiteSpace(n.User)) what += $" · {Escape(n.User)}";
        return Truncate(what, MaxSectionText);
    }

    private static JsonObject PlainText(string text) => new() { ["type"] = "plain_text", ["text"] = text, ["emoji"] = true };

    private static JsonObject Mrkdwn(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    /// <summary>Slack's three control characters as the HTML entities it asks for; nothing else is encoded.</summary>
    internal static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>At most <paramref name="max"/> characters, ending in "…" when cut.</summary>
    internal static string Truncate(string text, int max)
    {
        if (text.Length <= max) return text;
        return text[..SafeCut(text, max - 1)].TrimEnd() + "…";
    }

    /// <summary>Pieces of at most <paramref name="max"/> characters, cut at a line break or space when there is one in the second half.</summary>
    internal static IEnumerable<string> Split(string text, int max)
    {
        var rest = text;
        while (rest.Length > max)
        {
            var cut = rest.LastIndexOf('\n', max - 1, max / 2);
            if (cut <= 0) cut = rest.LastIndexOf(' ', max - 1, max / 2);
            cut = cut <= 0 ? SafeCut(rest, max) : cut + 1;
            var piece = rest[..cut].TrimEnd();
            if (piece.Length > 0) yield return piece;
            rest = rest[cut..].TrimStart();
        }

        if (rest.Length > 0) yield return rest;
    }

    /// <summary>A cut position at or before <paramref name="at"/> that splits neither a surrogate pair nor an entity (&amp;amp; &amp;lt; &amp;gt;).</summary>
    private static int SafeCut(string text, int at)
    {
        if (at > 0 && at < text.Length && char.IsLowSurrogate(text[at]) && char.IsHighSurrogate(text[at - 1])) at--;
        var amp = text.LastIndexOf('&', Math.Max(0, at - 1), Math.Min(at, 4));
        if (amp >= 0 && text.IndexOf(';', amp, at - amp) < 0) at = amp;
        return at;
    }

    /// <summary>For tests and logs: the rendered message as JSON.</summary>
    internal static string ToJson(Notification n) => Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(Render(n), NotificationDocument.Serializer));
}
