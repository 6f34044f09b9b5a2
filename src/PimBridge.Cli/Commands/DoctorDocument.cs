using System.Text.Json.Serialization;
using PimBridge.Cli.Doctor;

namespace PimBridge.Cli.Commands;

/// <summary>The <c>doctor --json</c> document (docs/cli.md).</summary>
internal sealed record DoctorDocument(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("checks")] IReadOnlyList<CheckResult> Checks,
    [property: JsonPropertyName("summary")] DoctorSummary Summary);

internal sealed record DoctorSummary(
    [property: JsonPropertyName("pass")] int Pass,
    [property: JsonPropertyName("fail")] int Fail,
    [property: JsonPropertyName("notChecked")] int NotChecked,
    [property: JsonPropertyName("skipped")] int Skipped);
