namespace PimBridge.Core.Configuration;

public sealed class NotificationSinkOptions
{
    /// <summary>A unique name, for example <c>security-slack</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary><c>webhook</c>, <c>slack</c>, <c>teams</c>, <c>eventgrid</c> or <c>log</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary>What the sink carries: any of <c>alert</c>, <c>access-live</c>, <c>expires-soon</c>, <c>access-removed</c>. Default: <c>alert</c>.</summary>
    public List<string> Kinds { get; set; } = [];

    /// <summary>Alerts below this severity (<c>info</c>, <c>warning</c>, <c>critical</c>) are not sent. Default: <c>info</c>.</summary>
    public string MinimumSeverity { get; set; } = "info";

    /// <summary>webhook, slack, teams: the URL to post to (a secret: prefer the environment variable).</summary>
    public string? Url { get; set; }

    /// <summary>webhook: extra request headers, for example an authorization header.</summary>
    public Dictionary<string, string> Headers { get; set; } = [];

    /// <summary>eventgrid: the topic endpoint, for example <c>https://topic.westeurope-1.eventgrid.azure.net/api/events</c>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>eventgrid: the topic access key; when empty, Entra authentication with the host's credential.</summary>
    public string? AccessKey { get; set; }
}
