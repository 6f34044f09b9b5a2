using System.Globalization;
using System.Text;

namespace PimBridge.Host.Metrics;

/// <summary>
/// The Prometheus text format's rules for names, units, label values and numbers, following OpenTelemetry's
/// Prometheus compatibility conventions: dots become underscores, the unit is appended in words
/// (<c>s</c> → <c>_seconds</c>), annotations in braces (<c>{alert}</c>) are dropped, and counters end in <c>_total</c>.
/// </summary>
internal static class PrometheusText
{
    private static readonly Dictionary<string, string> Units = new(StringComparer.Ordinal)
    {
        ["d"] = "days", ["h"] = "hours", ["min"] = "minutes", ["s"] = "seconds", ["ms"] = "milliseconds",
        ["us"] = "microseconds", ["ns"] = "nanoseconds", ["By"] = "bytes", ["KiBy"] = "kibibytes", ["MiBy"] = "mebibytes",
        ["GiBy"] = "gibibytes", ["KBy"] = "kilobytes", ["MBy"] = "megabytes", ["GBy"] = "gigabytes", ["%"] = "percent",
        ["Hz"] = "hertz", ["1"] = "",
    };

    /// <summary>The exported name of an instrument: <c>pimbridge.grant.processing_time</c> in <c>s</c> → <c>pimbridge_grant_processing_time_seconds</c>.</summary>
    internal static string MetricName(string instrument, string? unit, MetricKind kind)
    {
        var name = Sanitize(instrument, allowColon: true);
        var suffix = UnitSuffix(unit);
        if (suffix.Length > 0 && !name.EndsWith("_" + suffix, StringComparison.Ordinal))
            name += "_" + suffix;
        if (kind == MetricKind.Counter && !name.EndsWith("_total", StringComparison.Ordinal))
            name += "_total";
        return name;
    }

    /// <summary>A UCUM unit in words, <c>""</c> for none or annotations only; <c>By/s</c> → <c>bytes_per_second</c>.</summary>
    public static string UnitSuffix(string? unit)
    {
        if (string.IsNullOrWhiteSpace(unit)) return "";
        var withoutAnnotations = new StringBuilder();
        var depth = 0;
        foreach (var c in unit)
        {
            if (c == '{') depth++;
            else if (c == '}' && depth > 0) depth--;
            else if (depth == 0) withoutAnnotations.Append(c);
        }

        var parts = withoutAnnotations.ToString().Trim().Split('/', 2);
        var numerator = Word(parts[0], per: false);
        var denominator = parts.Length > 1 ? Word(parts[1], per: true) : "";
        if (denominator.Length == 0) return numerator;
        return numerator.Length == 0 ? $"per_{denominator}" : $"{numerator}_per_{denominator}";
    }

    private static string Word(string unit, bool per)
    {
        if (unit.Length == 0) return "";
        if (!Units.TryGetValue(unit, out var word)) return Sanitize(unit, allowColon: false).Trim('_');
        // "per second", not "per seconds".
        return per && word.EndsWith('s') ? word[..^1] : word;
    }

    /// <summary>A label name Prometheus accepts: <c>[a-zA-Z_][a-zA-Z0-9_]*</c>.</summary>
    public static string LabelName(string tag) => Sanitize(tag, allowColon: false);

    /// <summary>Escapes a label value: backslash, double quote and line feed.</summary>
    public static string EscapeLabelValue(string value) =>
        value.Replace("\\", @"\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);

    /// <summary>Escapes a HELP text: backslash and line feed.</summary>
    public static string EscapeHelp(string value) =>
        value.Replace("\\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);

    /// <summary>A sample value as Prometheus parses it: <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>, or the shortest round-trip form.</summary>
    public static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>Tags as labels: names made valid, values as invariant text, sorted by name, the first of a repeated name kept.</summary>
    internal static IReadOnlyList<KeyValuePair<string, string>> Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty) return [];
        var labels = new List<KeyValuePair<string, string>>(tags.Length);
        foreach (var (key, value) in tags)
        {
            var name = LabelName(key);
            if (name.StartsWith("__", StringComparison.Ordinal) || labels.Exists(l => l.Key == name))
                continue; // reserved for Prometheus, or a duplicate after sanitising
            labels.Add(new(name, value switch
            {
                null => "",
                string s => s,
                bool b => b ? "true" : "false",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString() ?? "",
            }));
        }

        labels.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return labels;
    }

    private static string Sanitize(string name, bool allowColon)
    {
        var text = new StringBuilder(name.Length + 1);
        foreach (var c in name)
            text.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':') ? c : '_');
        if (text.Length == 0 || char.IsAsciiDigit(text[0]))
            text.Insert(0, '_');
        return text.ToString();
    }
}
