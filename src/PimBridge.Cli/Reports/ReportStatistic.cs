namespace PimBridge.Cli.Reports;

/// <summary>One number of the statistics block; <see cref="Css"/> is one of the page's own colour classes.</summary>
internal sealed record ReportStatistic(string Name, string Value, string? Css = null);
