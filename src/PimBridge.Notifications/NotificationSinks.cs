using System.Text.RegularExpressions;
using Azure.Core;
using Microsoft.Extensions.Logging;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Notifications;

namespace PimBridge.Notifications;

/// <summary>
/// Builds the configured sinks and their routes from <see cref="NotificationOptions"/>, after checking the whole
/// section: every problem is reported at once, as "where: what is wrong; what to do", in one
/// <see cref="ConfigurationException"/>, so a deployment fails at start-up instead of at the first alert.
/// </summary>
public static partial class NotificationSinks
{
    /// <summary>The <c>Type</c> values PimBridge knows.</summary>
    public static readonly IReadOnlyList<string> Types = ["webhook", "slack", "teams", "eventgrid", "log"];

    private const string Section = "Notifications.Sinks";
    private const string KindNames = "alert, access-live, expires-soon or access-removed";

    /// <summary>
    /// One sink per configured entry, in configuration order. HTTP sinks (and Event Grid's SDK transport) share
    /// <paramref name="http"/>; log sinks log under the category <c>PimBridge.Notifications.&lt;Name&gt;</c>.
    /// </summary>
    /// <param name="credential">Signs Event Grid requests for sinks without an AccessKey (DefaultAzureCredential in production); null when there is none.</param>
    /// <exception cref="ConfigurationException">Listing every problem in the section.</exception>
    public static IReadOnlyList<INotificationSink> Create(NotificationOptions options, HttpClient http, ILoggerFactory loggers, TokenCredential? credential)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(loggers);
        var problems = Validate(options, credentialAvailable: credential is not null);
        if (problems.Count > 0) throw new ConfigurationException(problems);

        return [.. options.Sinks.Select(s => Build(s, http, loggers, credential))];
    }

    /// <summary>
    /// Which notifications each sink carries: its <c>Kinds</c> (default: <c>alert</c> only) and, for alerts, from its
    /// <c>MinimumSeverity</c> up (default: <c>info</c>, so every alert).
    /// </summary>
    /// <exception cref="ConfigurationException">Listing every problem in the section.</exception>
    public static IReadOnlyList<NotificationRoute> Routes(NotificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = Validate(options, credentialAvailable: true);
        if (problems.Count > 0) throw new ConfigurationException(problems);

        return [.. options.Sinks.Select(s => new NotificationRoute(s.Name.Trim(), KindsOf(s), SeverityOf(s)))];
    }

    /// <summary>
    /// Whether <see cref="Create"/> needs an Azure credential: an Event Grid sink without an AccessKey signs its requests
    /// with Entra. The type is read as <see cref="Validate"/> reads it (any case, surrounding space ignored).
    /// </summary>
    public static bool NeedsAzureCredential(NotificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Sinks.Any(s => s is not null && TypeOf(s) == "eventgrid" && string.IsNullOrEmpty(s.AccessKey));
    }

    /// <summary>Every problem in the section, as "where: what is wrong; what to do"; empty when it is valid.</summary>
    /// <param name="credentialAvailable">Whether an Azure credential will be passed for Event Grid sinks without an AccessKey.</param>
    public static IReadOnlyList<string> Validate(NotificationOptions options, bool credentialAvailable)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        var names = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Sinks.Count; i++)
        {
            var sink = options.Sinks[i];
            var at = $"{Section}[{i}]";
            if (sink is null)
            {
                problems.Add($"{at}: empty entry; remove it or give it a Name and a Type.");
                continue;
            }

            var name = sink.Name?.Trim() ?? "";
            if (name.Length == 0)
            {
                problems.Add($"{at}.Name: empty; give every sink a unique name, for example security-slack.");
            }
            else
            {
                if (!SinkName().IsMatch(name))
                    problems.Add($"{at}.Name: '{name}' must be 1-64 letters, digits, '.', '_' or '-'; pick a short name such as security-slack.");
                if (names.TryGetValue(name, out var first))
                    problems.Add($"{at}.Name: '{name}' is already the name of {Section}[{first}]; rename one of them (deliveries are recorded per sink name).");
                else
                    names[name] = i;
                at += $" '{name}'";
            }

            CheckRouting(sink, at, problems);

            var type = TypeOf(sink);
            if (type.Length == 0)
            {
                problems.Add($"{at}.Type: empty; set it to one of {string.Join(", ", Types)}.");
                continue;
            }

            if (!Types.Contains(type))
            {
                problems.Add($"{at}.Type: '{sink.Type}' is not a sink type; use one of {string.Join(", ", Types)}.");
                continue;
            }

            CheckTypeSettings(sink, type, at, i, credentialAvailable, problems);
        }

        return problems;
    }

    private static void CheckRouting(NotificationSinkOptions sink, string at, List<string> problems)
    {
        foreach (var kind in sink.Kinds ?? [])
        {
            if (NotificationDocument.ParseKind(kind) is null)
                problems.Add($"{at}.Kinds: '{kind}' is not a notification kind; use {KindNames}.");
        }

        if (!string.IsNullOrWhiteSpace(sink.MinimumSeverity) && NotificationDocument.ParseSeverity(sink.MinimumSeverity) is null)
            problems.Add($"{at}.MinimumSeverity: '{sink.MinimumSeverity}' is not a severity; use info, warning or critical.");
    }

    private static void CheckTypeSettings(NotificationSinkOptions sink, string type, string at, int index, bool credentialAvailable, List<string> problems)
    {
        var env = $"PIMBRIDGE_Notifications__Sinks__{index}";
        if (type is "webhook" or "slack" or "teams")
        {
            var what = type switch
            {
                "slack" => "the Slack incoming webhook URL (https://hooks.slack.com/services/…)",
                "teams" => "the Teams Workflows webhook URL (from the 'When a Teams webhook request is received' trigger)",
                _ => "the URL to POST notifications to",
            };
            CheckUrl(sink.Url, $"{at}.Url", what, $"{env}__Url", problems);
        }
        else if (!string.IsNullOrWhiteSpace(sink.Url))
        {
            problems.Add($"{at}.Url: does not apply to {type} sinks; remove it{(type == "eventgrid" ? " (the topic is set with Endpoint)" : "")}.");
        }

        if (type == "webhook")
        {
            foreach (var (header, value) in sink.Headers ?? [])
            {
                if (!HeaderName().IsMatch(header ?? ""))
                    problems.Add($"{at}.Headers: '{header}' is not a valid HTTP header name; use letters, digits and '-', for example Authorization.");
                else if (ReservedHeaders.Contains(header!))
                    problems.Add($"{at}.Headers: '{header}' is set by PimBridge (the body is always application/json); remove it.");
                else if (value is null || value.Contains('\r') || value.Contains('\n'))
                    problems.Add($"{at}.Headers.{header}: the value is missing or spans lines; give a single-line value.");
            }
        }
        else if (sink.Headers is { Count: > 0 })
        {
            problems.Add($"{at}.Headers: only webhook sinks send extra headers; remove them, or use Type webhook.");
        }

        if (type == "eventgrid")
        {
            CheckUrl(sink.Endpoint, $"{at}.Endpoint", "the topic endpoint (https://<topic>.<region>-1.eventgrid.azure.net/api/events)", null, problems);
            if (string.IsNullOrEmpty(sink.AccessKey) && !credentialAvailable)
                problems.Add($"{at}.AccessKey: empty and no Azure credential is available for Entra authentication; set AccessKey (as {env}__AccessKey) or run the host with an identity that has the EventGrid Data Sender role on the topic.");
        }
        else
        {
            if (!string.IsNullOrWhiteSpace(sink.Endpoint)) problems.Add($"{at}.Endpoint: only eventgrid sinks use it; remove it.");
            if (!string.IsNullOrEmpty(sink.AccessKey)) problems.Add($"{at}.AccessKey: only eventgrid sinks use it; remove it.");
        }
    }

    /// <summary>Absolute, https (http only to loopback, for local receivers and tests). The URL itself is not echoed: it is usually a secret.</summary>
    private static void CheckUrl(string? value, string where, string what, string? environmentVariable, List<string> problems)
    {
        var secretHint = environmentVariable is null ? "" : $" (it is a secret: prefer the environment variable {environmentVariable})";
        if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add($"{where}: missing; set it to {what}{secretHint}.");
            return;
        }

        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            problems.Add($"{where}: not an absolute http(s) URL; set it to {what}.");
            return;
        }

        if (url.Scheme == Uri.UriSchemeHttp && !JsonPost.IsLoopback(url))
            problems.Add($"{where}: {JsonPost.Origin(url)} uses plain http; use https (http is accepted only for loopback addresses, for local testing).");
    }

    /// <summary>The sink's type as PimBridge names it: lower case, without surrounding space; empty when unset.</summary>
    private static string TypeOf(NotificationSinkOptions sink) => sink.Type?.Trim().ToLowerInvariant() ?? "";

    private static INotificationSink Build(NotificationSinkOptions s, HttpClient http, ILoggerFactory loggers, TokenCredential? credential)
    {
        var name = s.Name.Trim();
        return TypeOf(s) switch
        {
            "webhook" => new WebhookSink(name, new Uri(s.Url!.Trim()), s.Headers, http),
            "slack" => new SlackSink(name, new Uri(s.Url!.Trim()), http),
            "teams" => new TeamsSink(name, new Uri(s.Url!.Trim()), http),
            "eventgrid" => new EventGridSink(name, new Uri(s.Endpoint!.Trim()), s.AccessKey, credential, http),
            "log" => new LogSink(name, loggers.CreateLogger($"PimBridge.Notifications.{name}")),
            _ => throw new InvalidOperationException($"Sink type '{s.Type}' passed validation but has no builder."),
        };
    }

    private static IReadOnlySet<NotificationKind> KindsOf(NotificationSinkOptions s)
    {
        var kinds = (s.Kinds ?? []).Select(k => NotificationDocument.ParseKind(k)!.Value).ToHashSet();
        return kinds.Count == 0 ? new HashSet<NotificationKind> { NotificationKind.Alert } : kinds;
    }

    private static AlertSeverity SeverityOf(NotificationSinkOptions s) =>
        string.IsNullOrWhiteSpace(s.MinimumSeverity) ? AlertSeverity.Info : NotificationDocument.ParseSeverity(s.MinimumSeverity)!.Value;

    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Type", "Content-Length", "Content-Encoding", "Host", "Transfer-Encoding", "Connection",
    };

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex SinkName();

    // RFC 9110 token characters.
    [GeneratedRegex("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")]
    private static partial Regex HeaderName();
}
