using Microsoft.Extensions.Logging.Abstractions;
using PimBridge.Cli.Output;
using PimBridge.Core.Domain;
using PimBridge.Core.Notifications;
using PimBridge.Notifications;

namespace PimBridge.Cli.Doctor;

/// <summary>
/// The notification sinks beyond their settings: nothing is sent unless asked (<c>--send-test</c>), because a test
/// message in a security channel is noise to the people reading it.
/// </summary>
internal static class NotificationChecks
{
    public static async Task RunAsync(DoctorRun run, DoctorContext context, CancellationToken cancellationToken)
    {
        if (context.Settings is not { } settings)
        {
            run.Record("sinks", "Notification delivery", CheckOutcome.Skipped("needs a valid configuration file."));
            return;
        }

        var options = settings.Notifications;
        if (options.Sinks.Count == 0)
        {
            run.Record("sinks", "Notification delivery", CheckOutcome.Skipped("no sinks configured."));
            return;
        }

        if (NotificationSinks.Validate(options, credentialAvailable: true).Count > 0)
        {
            run.Record("sinks", "Notification delivery", CheckOutcome.Skipped("needs valid Notifications settings."));
            return;
        }

        if (!context.SendTest)
        {
            run.Record("sinks", "Notification delivery", CheckOutcome.NotChecked(
                $"only the settings of {Formats.Count(options.Sinks.Count, "sink")} were checked; run doctor with --send-test to send a test notification to each."));
            return;
        }

        using var http = new HttpClient { Timeout = run.Timeout };
        var credential = NotificationSinks.NeedsAzureCredential(options) ? new Azure.Identity.DefaultAzureCredential() : null;
        var sinks = NotificationSinks.Create(options, http, NullLoggerFactory.Instance, credential);
        var at = DateTimeOffset.UtcNow;
        foreach (var (sink, index) in sinks.Select((s, i) => (s, i)))
        {
            var type = options.Sinks[index].Type;
            await run.CheckAsync($"sink:{sink.Name}", $"Sink '{sink.Name}' ({type})", async ct =>
            {
                try
                {
                    await sink.SendAsync(TestNotification(at), ct).ConfigureAwait(false);
                    return CheckOutcome.Pass("a test notification was delivered; look for \"PimBridge doctor: test notification\" at the receiver.");
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    return CheckOutcome.Fail($"the test notification was not delivered: {DoctorRun.FirstLine(e.Message)}",
                        $"Check Notifications.Sinks[{index}] (its URL, endpoint or key, docs/notifications.md) and that this machine can reach the receiver.");
                }
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    private static Notification TestNotification(DateTimeOffset at) => new()
    {
        Id = $"pimbridge-doctor-test-{at.ToUnixTimeMilliseconds()}",
        Kind = NotificationKind.Alert,
        At = at,
        Severity = AlertSeverity.Info,
        Title = "PimBridge doctor: test notification",
        Text = "pimbridge doctor --send-test sent this to check that PimBridge's alerts reach this channel. Nothing happened in AWS; no action is needed.",
        AlertKind = "doctor.test",
        Facts = [new("sent by", "pimbridge doctor --send-test")],
    };
}
