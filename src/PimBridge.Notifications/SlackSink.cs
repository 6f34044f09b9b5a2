using System.Text.Json.Nodes;
using PimBridge.Core.Notifications;

namespace PimBridge.Notifications;

/// <summary>
/// Posts each notification to a Slack incoming webhook as a Block Kit message: a header with a severity marker, the
/// text, the facts as two-column fields, and a context line with the severity, the time (UTC) and the notification id
/// a reviewer can quote. Slack answers 200 <c>ok</c> on success and 400/403/404/410 with a short error string
/// (<c>invalid_payload</c>, <c>action_prohibited</c>, <c>channel_not_found</c>, <c>channel_is_archived</c>) otherwise.
/// </summary>
internal sealed class SlackSink(string name, Uri url, HttpClient http) : ChatWebhookSink(name, url, http, "slack")
{
    protected override JsonNode Render(Notification notification) => SlackMessage.Render(notification);

    protected override string? Advice(int status, string body) => (status, body) switch
    {
        (_, "invalid_payload") or (_, "invalid_blocks") => "Slack could not parse the message; this is a PimBridge bug, please report it with this notification's id.",
        (_, "action_prohibited") => "The workspace restricts this webhook from posting; ask a Slack admin to allow it or create a new incoming webhook.",
        (_, "channel_not_found") => "The webhook's channel no longer exists; create a new incoming webhook for an existing channel and update the sink's Url.",
        (_, "channel_is_archived") => "The webhook's channel is archived; unarchive it, or create a new incoming webhook and update the sink's Url.",
        (_, "no_service") or (_, "no_team") or (_, "invalid_token") => "The incoming webhook was removed or its URL is wrong; create a new one in the Slack app's Incoming Webhooks page and update the sink's Url.",
        (403 or 404 or 410, _) => "Slack no longer accepts this webhook URL; create a new incoming webhook and update the sink's Url.",
        _ => null,
    };
}
