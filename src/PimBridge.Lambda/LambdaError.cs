using System.Text.Json.Serialization;

namespace PimBridge.Lambda;

/// <summary>The error document the Runtime API takes for an invocation or an init failure.</summary>
internal sealed record LambdaError(
    [property: JsonPropertyName("errorMessage")] string ErrorMessage,
    [property: JsonPropertyName("errorType")] string ErrorType,
    [property: JsonPropertyName("stackTrace")] IReadOnlyList<string> StackTrace)
{
    public static LambdaError From(Exception error) => new(
        error.Message, error.GetType().FullName ?? error.GetType().Name,
        (error.StackTrace ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
