using System.Text.Json.Nodes;
using PimBridge.Core.Notifications;

namespace PimBridge.Notifications;

/// <summary>
/// Posts each notification to a Microsoft Teams channel through a Teams <b>Workflows</b> webhook (the
/// "When a Teams webhook request is received" trigger, posting the card to a channel or chat).
/// </summary>
/// <remarks>
/// What Microsoft documents and integrators report: Microsoft 365 (Office 365) connectors are retired in favour of
/// Workflows; Workflows accept Adaptive Cards only (not the legacy MessageCard), wrapped as
/// <c>{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{…}}]}</c>.
/// The webhook usually answers <b>202 Accepted</b> (the flow runs asynchronously) and 200 when the flow ends with a
/// Response action, so every 2xx counts as delivered: treating 202 as a failure makes other tools post the same card
/// again and again. Workflows cannot post to private channels as the flow bot. Teams renders a Markdown subset in
/// TextBlock and fact values.
/// </remarks>
internal sealed class TeamsSink(string name, Uri url, HttpClient http) : ChatWebhookSink(name, url, http, "teams")
{
    protected override JsonNode Render(Notification notification) => TeamsCard.Render(notification);

    protected override string? Advice(int status, string body) => status switch
    {
        400 => "The workflow rejected the card; check that the sink's Url is a Teams Workflows webhook whose flow posts the Adaptive Card from the request's attachments.",
        401 or 403 => "The workflow refused the request; check the trigger's 'Who can trigger the flow' setting and that the Url still carries its sig= parameter.",
        404 => "No workflow at that Url; it may have been deleted or turned off (or its owner left). Recreate it in Teams > Workflows and update the sink's Url.",
        _ => null,
    };
}
