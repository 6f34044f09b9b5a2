namespace PimBridge.Cli.Reports;

/// <summary>A table cell: text (encoded when written), and one of the page's own CSS classes.</summary>
internal sealed record ReportCell(string? Text, string? Css = null);
