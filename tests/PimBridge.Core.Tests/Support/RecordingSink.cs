using PimBridge.Core.Notifications;

namespace PimBridge.Core.Tests;

/// <summary>A sink that records what it is sent, and fails the first <see cref="FailuresLeft"/> sends.</summary>
public sealed class RecordingSink(string name) : INotificationSink
{
    public string Name => name;
    public int FailuresLeft { get; set; }
    public List<Notification> Sent { get; } = [];

    /// <summary>What a failed send throws.</summary>
    public Func<Exception> Failure { get; set; } = () => new HttpRequestException("the sink is down");

    public Task SendAsync(Notification notification, CancellationToken cancellationToken = default)
    {
        if (FailuresLeft > 0)
        {
            FailuresLeft--;
            throw Failure();
        }

        Sent.Add(notification);
        return Task.CompletedTask;
    }
}
