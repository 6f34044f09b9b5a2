using System.CommandLine;
using System.Globalization;
using PimBridge.Core.Configuration;

namespace PimBridge.Cli.Output;

/// <summary>Options and option values several commands share, so each is spelled, checked and explained the same way.</summary>
internal static class Arguments
{
    /// <summary>
    /// A severity option (<c>info|warning|critical</c>, any case); another value is a usage error (exit 2) naming the
    /// three. Read it with <see cref="Formats.ParseSeverity"/>.
    /// </summary>
    public static Option<string> SeverityOption(string name, string description)
    {
        var option = new Option<string>(name) { Description = description, HelpName = string.Join('|', Formats.SeverityNames) };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value is not null && !Formats.SeverityNames.Contains(value, StringComparer.OrdinalIgnoreCase))
                result.AddError($"{name} '{value}' is not a severity; use info, warning or critical.");
        });
        return option;
    }

    /// <summary>The <c>--json</c> switch of a listing.</summary>
    public static Option<bool> JsonOption(string description = "Write a JSON array (fields documented in docs/cli.md) instead of a table.") =>
        new("--json") { Description = description };

    /// <summary>
    /// A <c>--since</c> value: an ISO 8601 time (<c>2026-11-20T14:00:00Z</c>; without a zone, UTC) or an age measured
    /// back from <paramref name="now"/> (<c>7d</c>, <c>12h</c>, <c>30m</c>, <c>PT2H</c>).
    /// </summary>
    /// <exception cref="CliInputException">Neither.</exception>
    public static DateTimeOffset ParseSince(string text, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Duration.TryParse(text, out var age) && age >= TimeSpan.Zero)
            return now - age;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
            return time;
        throw new CliInputException($"--since '{text}' is neither a time nor an age; give one like 2026-11-20T14:00:00Z or 7d.");
    }
}
