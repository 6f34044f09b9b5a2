using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;

namespace PimBridge.Core.Configuration;

/// <summary>Parses the duration forms configuration accepts: 90s, 30m, 8h, 1d, PT8H (ISO-8601) and hh:mm:ss.</summary>
public static partial class Duration
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        var shorthand = Shorthand().Match(text);
        if (shorthand.Success)
        {
            var n = double.Parse(shorthand.Groups[1].Value, CultureInfo.InvariantCulture);
            value = shorthand.Groups[2].Value.ToLowerInvariant() switch
            {
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                _ => TimeSpan.FromDays(n),
            };
            return true;
        }

        if (text.StartsWith('P') || text.StartsWith('p'))
        {
            try
            {
                value = XmlConvert.ToTimeSpan(text.ToUpperInvariant());
                return true;
            }
            catch (FormatException)
            {
                return false;
            }
        }

        // Only hh:mm[:ss]: TimeSpan would read a bare "10" as ten days, which nobody writing a duration means.
        return text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
    }

    public static string Describe(TimeSpan value) => value.TotalMinutes < 1 ? $"{value.TotalSeconds:0.#}s"
        : value.TotalHours < 1 ? $"{value.TotalMinutes:0.#}m"
        : $"{value.TotalHours:0.#}h";

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*([smhdSMHD])$")]
    private static partial Regex Shorthand();
}
