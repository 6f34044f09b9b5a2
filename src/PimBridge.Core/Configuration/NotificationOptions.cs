namespace PimBridge.Core.Configuration;

public sealed class NotificationOptions
{
    /// <summary>How long before a grant's end the engineer is told it expires soon.</summary>
    public string ExpiryWarning { get; set; } = "10m";

    public List<NotificationSinkOptions> Sinks { get; set; } = [];
}
