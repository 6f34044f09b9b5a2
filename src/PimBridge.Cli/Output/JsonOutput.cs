using System.Text.Encodings.Web;
using System.Text.Json;

namespace PimBridge.Cli.Output;

/// <summary>
/// How every <c>--json</c> document is written: indented, UTF-8 text without HTML escaping (it is read by programs and
/// people, not embedded in pages), nulls kept so each documented field is always present. Field names come from each
/// document type's <c>[JsonPropertyName]</c>s, so they are stable whatever the C# names become.
/// </summary>
internal static class JsonOutput
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The same, on one line: for JSON Lines, one document per line.</summary>
    public static readonly JsonSerializerOptions Compact = new(Options) { WriteIndented = false };

    public static void Write<T>(TextWriter writer, T document)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine(JsonSerializer.Serialize(document, Options));
        writer.Flush();
    }
}
