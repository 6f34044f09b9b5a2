using PimBridge.Core.Domain;
using Spectre.Console;

namespace PimBridge.Cli.Output;

/// <summary>
/// How every command's table looks: rounded borders, bold headers, plain-text cells (values are never read as Spectre
/// markup, so a '[' in a user name prints as itself), and severities coloured the same everywhere.
/// </summary>
internal static class Tables
{
    public static Table Create(params string[] headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in headers)
            table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))));
        return table;
    }

    /// <summary>A cell; unknown values are empty.</summary>
    public static Text Cell(string? text) => new(text ?? "");

    /// <summary>A time cell (<see cref="Formats.Time"/>); empty when there is none.</summary>
    public static Text Cell(DateTimeOffset? time) => new(Formats.Time(time) ?? "");

    public static Text Severity(AlertSeverity severity) => new(Formats.Severity(severity), severity switch
    {
        AlertSeverity.Critical => new Style(Color.Red, decoration: Decoration.Bold),
        AlertSeverity.Warning => new Style(Color.Yellow),
        _ => new Style(Color.Grey),
    });
}
