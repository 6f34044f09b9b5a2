using Microsoft.Extensions.Configuration;
using PimBridge.Host;

namespace PimBridge.Cli.Doctor;

/// <summary>
/// The webhook's settings (<c>PimBridge:Host:…</c>) as the host reads them from this environment: whether deliveries can
/// be authenticated, whether the handshake origins can match, and the clientState notifications are checked against.
/// Where they are not set (a CLI machine), they are not checked: run doctor where serve or the Functions app runs.
/// </summary>
internal static class HostChecks
{
    public static void Run(DoctorRun run, DoctorContext context)
    {
        if (!context.HostConfiguration.GetSection(PimBridgeHostOptions.Section).Exists())
        {
            run.Record("host", "Webhook settings", CheckOutcome.NotChecked(
                $"no {PimBridgeHostOptions.Section} settings in this environment.",
                "run doctor where serve or the Functions app runs, with the same environment, to check the webhook's authentication and handshake origins."));
            return;
        }

        var options = PimBridgeHostOptions.Read(context.HostConfiguration, out var problems);
        if (problems.Count > 0)
        {
            run.Record("host", "Webhook settings", CheckOutcome.Fail($"{problems.Count} problem(s): the host would refuse to start.",
                "Fix each (in appsettings.json, PimBridge__Host__… variables or --PimBridge:Host:… arguments; docs/host.md):"
                + string.Concat(problems.Select(p => $"{Environment.NewLine}- {p}"))));
            return;
        }

        var origins = options.WebHookOrigins.Contains("*") ? "any origin (*)" : string.Join(", ", options.WebHookOrigins);
        run.Record("host", "Webhook settings", CheckOutcome.Pass($"valid: deliveries at {options.EventsPath}, handshake granted to {origins}."));
        run.Record("webhook-auth", "Webhook authentication", options.MissingDeliveryAuthentication is { } missing
            ? CheckOutcome.Fail($"{missing}: every Event Grid delivery would be refused with 401.",
                $"Set {PimBridgeHostOptions.Section}:Bearer:ValidAudiences (Event Grid's Entra-secured delivery, preferred) or {PimBridgeHostOptions.Section}:SharedSecret:Secret (docs/host.md).")
            : CheckOutcome.Pass(options.Bearer.Enabled
                ? $"Entra bearer tokens for {string.Join(", ", options.Bearer.ValidAudiences.Where(a => !string.IsNullOrWhiteSpace(a)))}{(options.SharedSecret.Enabled ? ", or the shared secret" : "")}."
                : $"the shared secret, in the {options.SharedSecret.HeaderName} header{(string.IsNullOrWhiteSpace(options.SharedSecret.QueryParameter) ? "" : $" or the '{options.SharedSecret.QueryParameter}' query parameter")}."));
        run.Record("client-state", "Graph notification clientState", context.Entra is { } entra
            ? CheckOutcome.Pass($"the webhook checks every Graph notification against Entra.Subscriptions.ClientState ({entra.Subscriptions.ClientState.Length} characters), the value the subscriptions are created with.")
            : CheckOutcome.Skipped("needs a valid Entra section."));
    }
}
