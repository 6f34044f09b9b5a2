using System.Globalization;
using System.Text;
using PimBridge.Core.Domain;

namespace PimBridge.Cli.Commands;

/// <summary>
/// RFC 4180 rows of audit entries: comma-separated, CRLF line ends, a field in double quotes (with quotes doubled) when
/// it holds a comma, a quote, CR or LF. Values are written exactly as stored, so each hash can be recomputed.
/// </summary>
internal static class AuditCsv
{
    public const string Header = "seq,at,kind,subject,data,prevHash,hash\r\n";

    /// <summary>Appends one entry's row, CRLF included.</summary>
    public static void AppendRow(StringBuilder row, AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(entry);
        row.Append(entry.Seq.ToString(CultureInfo.InvariantCulture)).Append(',')
            .Append(AuditEntryDocument.TimeOf(entry)).Append(',');
        Field(row, entry.Kind).Append(',');
        Field(row, entry.Subject).Append(',');
        Field(row, entry.Data).Append(',');
        Field(row, entry.PrevHash).Append(',');
        Field(row, entry.Hash).Append("\r\n");
    }

    private static StringBuilder Field(StringBuilder row, string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? row.Append(value) : row.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
}
