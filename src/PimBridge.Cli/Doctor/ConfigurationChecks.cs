using PimBridge.Aws.Trails;
using PimBridge.Cli.Commands;
using PimBridge.Cli.Output;
using PimBridge.Composition;
using PimBridge.Core.Configuration;
using PimBridge.Entra;
using PimBridge.Notifications;

namespace PimBridge.Cli.Doctor;

/// <summary>
/// The checks that need no network: the engine configuration, the Entra section, the notification sinks, the gap
/// source's settings, the AWS endpoint override and the state store. Each failure lists every problem, each with its fix.
/// </summary>
internal static class ConfigurationChecks
{
    private const string ProblemsFix = "Fix each problem listed below (docs/engine.md describes every setting):";

    public static async Task RunAsync(DoctorRun run, DoctorContext context, CancellationToken cancellationToken)
    {
        var path = context.ConfigFile;
        await run.CheckAsync("config", "Configuration file", _ =>
        {
            try
            {
                var settings = PimBridgeConfiguration.Load(path, otherSections: ConfigFileOption.OtherSections);
                context.Settings = settings;
                var mappings = string.Join(", ", settings.Mappings.Select(m => m.Name));
                return Task.FromResult(CheckOutcome.Pass(
                    $"{Path.GetFullPath(path)}: {Formats.Count(settings.Mappings.Count, "mapping")} ({mappings}); Identity Center {settings.IdentityCenter.InstanceArn} in {settings.IdentityCenter.Region}."));
            }
            catch (ConfigurationException e)
            {
                return Task.FromResult(Problems($"'{path}' is not usable ({Formats.Count(e.Problems.Count, "problem")}).", e.Problems));
            }
        }, cancellationToken).ConfigureAwait(false);

        await run.CheckAsync("entra-config", "Entra settings", _ => Task.FromResult(CheckEntra(context)), cancellationToken).ConfigureAwait(false);

        if (context.Settings is not { } settings)
        {
            run.Record("notifications-config", "Notification sinks settings", CheckOutcome.Skipped("needs a valid configuration file."));
            run.Record("gaps-config", "Gap source settings", CheckOutcome.Skipped("needs a valid configuration file."));
        }
        else
        {
            await run.CheckAsync("notifications-config", "Notification sinks settings", _ =>
            {
                var sinks = settings.Notifications.Sinks;
                // serve signs Event Grid sinks without an AccessKey with DefaultAzureCredential, so a credential is available.
                var problems = NotificationSinks.Validate(settings.Notifications, credentialAvailable: true);
                return Task.FromResult(problems.Count > 0 ? Problems($"{Formats.Count(problems.Count, "problem")} in Notifications.", problems)
                    : sinks.Count == 0 ? CheckOutcome.Pass("none configured: alerts are stored, and listed by `pimbridge alerts`, but sent nowhere.")
                    : CheckOutcome.Pass($"{Formats.Count(sinks.Count, "sink")}: {string.Join(", ", sinks.Select(s => $"{s.Name} ({s.Type})"))}."));
            }, cancellationToken).ConfigureAwait(false);

            if (settings.GapSource is not { } source)
            {
                run.Record("gaps-config", "Gap source settings", CheckOutcome.Skipped("no Gaps.Source: the gap detector is off (set it to lookup-events, s3 or directory to watch CloudTrail)."));
            }
            else
            {
                await run.CheckAsync("gaps-config", "Gap source settings", _ =>
                {
                    var problems = TrailSources.Validate(source, settings.IdentityCenter.Region);
                    return Task.FromResult(problems.Count > 0 ? Problems($"{Formats.Count(problems.Count, "problem")} in Gaps.Source.", problems)
                        : CheckOutcome.Pass($"{source.Type.Trim().ToLowerInvariant()}{Where(source)}."));
                }, cancellationToken).ConfigureAwait(false);
            }
        }

        if (!string.IsNullOrWhiteSpace(context.HostConfiguration[CompositionSettings.AwsEndpointKey]))
        {
            await run.CheckAsync("aws-endpoint", "AWS endpoint override", _ =>
            {
                try
                {
                    context.AwsEndpoint = CompositionSettings.AwsEndpoint(context.HostConfiguration);
                    return Task.FromResult(CheckOutcome.Pass($"every AWS call goes to {context.AwsEndpoint} ({CompositionSettings.AwsEndpointKey}), not to AWS's public endpoints."));
                }
                catch (ConfigurationException e)
                {
                    context.AwsEndpointUsable = false;
                    return Task.FromResult(CheckOutcome.Fail(e.Problems[0], $"Fix or unset the environment variable PimBridge__AwsEndpoint (the setting {CompositionSettings.AwsEndpointKey})."));
                }
            }, cancellationToken).ConfigureAwait(false);
        }

        await run.CheckAsync("store", "State store", async ct =>
        {
            // A first run has no file yet: that is no problem when the commands that create it can.
            if (context.Store.HostSettings(context.ParseResult).SqlitePath is { } file && !File.Exists(file)
                && Path.GetDirectoryName(file) is { } folder && Directory.Exists(folder))
                return CheckOutcome.Pass($"SQLite file {file} does not exist yet; `pimbridge reconcile` or `pimbridge serve` creates it (its folder exists).");

            OpenedStateStore opened;
            try
            {
                opened = await context.Store.OpenAsync(context.ParseResult, ct).ConfigureAwait(false);
            }
            catch (CliInputException e)
            {
                return CheckOutcome.Fail(e.Message, "Point doctor at the store `pimbridge serve` uses (--store PATH, $PIMBRIDGE_STORE, or --dynamodb-table NAME), or at a folder that exists: `pimbridge reconcile` and `pimbridge serve` create the file there.");
            }

            await using (opened.ConfigureAwait(false))
            {
                try
                {
                    var head = await opened.Store.GetAuditHeadAsync(ct).ConfigureAwait(false);
                    return CheckOutcome.Pass($"{opened.Describe} answers: the audit log has {Formats.Count(head?.Seq ?? 0, "entry", "entries")}{(head is null ? "" : $", the last at {Formats.Time(head.At)}")}.");
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    return CheckOutcome.Fail($"{opened.Describe} could not be read: {DoctorRun.FirstLine(e.Message)}",
                        "For SQLite, check the file's permissions and that no other program locks it; for DynamoDB, check the table name, the Region and dynamodb:GetItem/Query/TransactWriteItems for PimBridge's principal.");
                }
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    private static CheckOutcome CheckEntra(DoctorContext context)
    {
        EntraOptions entra;
        bool present;
        try
        {
            entra = EntraPart.LoadOptions(context.ConfigFile, out present);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or InvalidOperationException or FormatException)
        {
            return CheckOutcome.Fail($"the Entra section of '{context.ConfigFile}' could not be read: {DoctorRun.FirstLine(e.Message)}",
                "Fix the configuration file first (see the line above), then the Entra section (docs/entra.md).");
        }

        if (!present)
            return CheckOutcome.Skipped($"'{context.ConfigFile}' has no Entra section: it configures a host that does not read PIM (the AWS-side watcher). Run doctor with the bridge's configuration to check Graph.");
        // No Subscriptions at all (the file `pimbridge init` writes): reading PIM needs only the credential, so Graph is
        // still checked; only serve, which subscribes to group changes, needs them. A half-written section is a mistake.
        var subscriptions = entra.Subscriptions;
        var withoutSubscriptions = subscriptions is null || new[] { subscriptions.AzureSubscriptionId, subscriptions.ResourceGroup, subscriptions.PartnerTopic, subscriptions.Location, subscriptions.ClientState }.All(string.IsNullOrWhiteSpace);
        var problems = entra.Problems(subscriptions: !withoutSubscriptions);
        if (problems.Count > 0)
            return Problems($"{Formats.Count(problems.Count, "problem")} in the Entra section.", problems, "Fix each problem listed below (docs/entra.md describes the Entra section):");
        context.Entra = entra;
        if (withoutSubscriptions)
            return CheckOutcome.NotChecked(
                $"Mode {entra.ParsedMode}, Graph at {(string.IsNullOrWhiteSpace(entra.GraphBaseUrl) ? GraphClients.DefaultBaseUrl : entra.GraphBaseUrl)}; no Subscriptions: reconcile, verify and doctor read PIM without them.",
                "`pimbridge serve` needs them to hear of PIM changes at once: set Entra.Subscriptions (docs/configuration.md, section Entra) where serve runs.");
        return CheckOutcome.Pass($"Mode {entra.ParsedMode}, Graph at {(string.IsNullOrWhiteSpace(entra.GraphBaseUrl) ? GraphClients.DefaultBaseUrl : entra.GraphBaseUrl)}, change notifications to partner topic {entra.Subscriptions.PartnerTopic}.");
    }

    private static string Where(GapSourceOptions source) => source.Type.Trim().ToLowerInvariant() switch
    {
        TrailSources.S3 => $": bucket {source.Bucket}{(string.IsNullOrEmpty(source.Prefix) ? "" : $", prefix {source.Prefix}")}",
        TrailSources.LookupEvents => $": role {source.AuditRoleName} in each account",
        _ => $": folder {Path.GetFullPath(source.Path!)}",
    };

    private static CheckOutcome Problems(string detail, IReadOnlyList<string> problems, string intro = ProblemsFix) =>
        CheckOutcome.Fail(detail, intro + string.Concat(problems.Select(p => $"{Environment.NewLine}- {p}")));
}
