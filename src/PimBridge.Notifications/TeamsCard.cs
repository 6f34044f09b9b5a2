using System.Globalization;
using System.Text.Json.Nodes;
using PimBridge.Core.Domain;
using PimBridge.Core.Notifications;

namespace PimBridge.Notifications;

/// <summary>
/// Renders a notification as an Adaptive Card 1.4 message for a Teams Workflows webhook: a styled title container
/// (attention for critical, warning for warning), the text, a FactSet with the facts, and a subtle line with the
/// severity, time (UTC) and notification id.
/// </summary>
internal static class TeamsCard
{
    internal const string AdaptiveCardContentType = "application/vnd.microsoft.card.adaptive";
    internal const string Version = "1.4";

    internal static JsonObject Render(Notification n)
    {
        ArgumentNullException.ThrowIfNull(n);
        var (style, color) = Style(n);
        var title = string.IsNullOrWhiteSpace(n.Title) ? NotificationDocument.KindName(n.Kind) : n.Title.Trim();
        var body = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "Container",
                ["style"] = style,
                ["bleed"] = true,
                ["items"] = new JsonArray(new JsonObject
                {
                    ["type"] = "TextBlock",
                    ["text"] = Defused(title),
                    ["size"] = "Large",
                    ["weight"] = "Bolder",
                    ["color"] = color,
                    ["wrap"] = true,
                }),
            },
        };

        if (!string.IsNullOrWhiteSpace(n.Text))
            body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = Defused(n.Text.Trim()), ["wrap"] = true });

        var facts = NotificationDocument.UniqueFacts(n.Facts);
        if (facts.Count > 0)
        {
            body.Add(new JsonObject
            {
                ["type"] = "FactSet",
                ["facts"] = new JsonArray([.. facts.Select(f => (JsonNode)new JsonObject
                {
                    ["title"] = f.Key,
                    ["value"] = string.IsNullOrWhiteSpace(f.Value) ? "—" : Defused(f.Value),
                })]),
            });
        }

        body.Add(new JsonObject
        {
            ["type"] = "TextBlock",
            ["text"] = Describe(n),
            ["size"] = "Small",
            ["isSubtle"] = true,
            ["wrap"] = true,
        });

        return new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray(new JsonObject
            {
                ["contentType"] = AdaptiveCardContentType,
                ["contentUrl"] = null,
                ["content"] = new JsonObject
                {
                    ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
                    ["type"] = "AdaptiveCard",
                    ["version"] = Version,
                    // Teams draws cards narrow by default; facts such as user agents need the full width.
                    ["msteams"] = new JsonObject { ["width"] = "Full" },
                    ["fallbackText"] = Defused($"{title}: {n.Text}".Trim().TrimEnd(':')),
                    ["body"] = body,
                },
            }),
        };
    }

    /// <summary>
    /// Teams renders Markdown links (<c>[text](url)</c>) in TextBlocks and fact values, and values such as a CloudTrail
    /// user agent are chosen by whoever made the call. A zero-width space between <c>]</c> and <c>(</c> keeps the text
    /// readable but never a link, so a crafted value cannot put a convincing link in a security alert.
    /// </summary>
    internal static string Defused(string text) => text.Replace("](", "]\u200B(", StringComparison.Ordinal);

    /// <summary>Container style and title colour: attention/red for critical, warning/amber for warning.</summary>
    internal static (string Style, string Color) Style(Notification n) => n.Kind switch
    {
        NotificationKind.Alert => n.Severity switch
        {
            AlertSeverity.Critical => ("attention", "Attention"),
            AlertSeverity.Warning => ("warning", "Warning"),
            _ => ("accent", "Default"),
        },
        NotificationKind.AccessLive => ("good", "Good"),
        NotificationKind.ExpiresSoon => ("warning", "Warning"),
        _ => ("emphasis", "Default"),
    };

    private static string Describe(Notification n)
    {
        var parts = new List<string>
        {
            n.Kind == NotificationKind.Alert
                ? $"{CultureInfo.InvariantCulture.TextInfo.ToTitleCase(NotificationDocument.SeverityName(n.Severity))} alert"
                : NotificationDocument.KindName(n.Kind),
        };
        if (!string.IsNullOrWhiteSpace(n.AlertKind)) parts.Add(n.AlertKind);
        parts.Add(n.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));
        parts.Add($"notification {n.Id}");
        return string.Join(" · ", parts);
    }
}
