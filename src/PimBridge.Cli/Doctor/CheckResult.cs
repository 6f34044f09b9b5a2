using System.Text.Json.Serialization;

namespace PimBridge.Cli.Doctor;

/// <summary>One line of the doctor's report (and one element of <c>checks</c> in its JSON).</summary>
internal sealed record CheckResult(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("detail")] string Detail,
    [property: JsonPropertyName("fix")] string? Fix,
    [property: JsonPropertyName("seconds")] double Seconds)
{
    [JsonIgnore]
    public CheckStatus Outcome => Status switch
    {
        "pass" => CheckStatus.Pass,
        "fail" => CheckStatus.Fail,
        "skipped" => CheckStatus.Skipped,
        _ => CheckStatus.NotChecked,
    };

    public static string StatusName(CheckStatus status) => status switch
    {
        CheckStatus.Pass => "pass",
        CheckStatus.Fail => "fail",
        CheckStatus.Skipped => "skipped",
        _ => "not-checked",
    };
}
