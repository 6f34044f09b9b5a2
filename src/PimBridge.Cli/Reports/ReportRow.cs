using PimBridge.Core.Domain;

namespace PimBridge.Cli.Reports;

/// <summary>One alert of the table, with the values its filters compare.</summary>
internal sealed record ReportRow(AlertSeverity Severity, string Class, string? User, string? Account, IReadOnlyList<ReportCell> Cells);
