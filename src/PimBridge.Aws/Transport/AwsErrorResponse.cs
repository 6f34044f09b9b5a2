using System.Globalization;
using System.Text.Json;

namespace PimBridge.Aws.Transport;

/// <summary>Reads an awsJson1_1 error response into an <see cref="AwsServiceException"/> (Smithy error rules, SDK fallbacks).</summary>
internal static class AwsErrorResponse
{
    public static AwsServiceException Parse(AwsService service, string operation, HttpResponseMessage response, ReadOnlySpan<byte> body)
    {
        string? type = null, code = null, message = null, reason = null, resourceType = null;
        TimeSpan? retryAfter = null;
        if (TryParseObject(body, out var root))
        {
            foreach (var property in root.EnumerateObject())
            {
                // Only top-level members count; nested __type values are not the error's.
                switch (property.Name)
                {
                    case "__type": type = AsString(property.Value); break;
                    case "code": code = AsString(property.Value); break;
                    case "Reason": reason = AsString(property.Value); break;
                    case "ResourceType": resourceType = AsString(property.Value); break;
                    case "RetryAfterSeconds": retryAfter = AsSeconds(property.Value); break;
                    case "message": message = AsString(property.Value) ?? message; break; // botocore reads "message" first
                    default:
                        if (message is null && property.Name.Equals("message", StringComparison.OrdinalIgnoreCase))
                            message = AsString(property.Value);
                        break;
                }
            }
        }

        var header = Header(response, "x-amzn-ErrorType");
        var raw = FirstNonEmpty(type, header, code);
        var errorCode = raw is null ? FallbackCode(response.StatusCode) : Sanitize(raw);
        if (string.IsNullOrWhiteSpace(message)) // moto sends "" for some sso-admin errors
            message = Header(response, "x-amzn-error-message") ?? (body.IsEmpty ? "(empty error body)" : "(no message)");
        var requestId = Header(response, "x-amzn-RequestId") ?? Header(response, "x-amz-request-id");
        return new AwsServiceException(service.Name, operation, (int)response.StatusCode, errorCode, message, requestId, reason, retryAfter, resourceType: resourceType);
    }

    /// <summary>Keep what precedes the first ':' and then what follows the '#': "ns#Code:uri" becomes "Code".</summary>
    public static string Sanitize(string code)
    {
        var colon = code.IndexOf(':');
        if (colon >= 0) code = code[..colon];
        var hash = code.IndexOf('#');
        if (hash >= 0) code = code[(hash + 1)..];
        return code.Trim();
    }

    private static string FallbackCode(System.Net.HttpStatusCode status) => (int)status switch
    {
        429 => "TooManyRequestsException",
        >= 500 => "InternalFailure",
        _ => $"Http{(int)status}",
    };

    private static bool TryParseObject(ReadOnlySpan<byte> body, out JsonElement root)
    {
        root = default;
        if (body.IsEmpty) return false;
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!JsonDocument.TryParseValue(ref reader, out var document)) return false;
            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object) return false;
                root = document.RootElement.Clone();
                return true;
            }
        }
        catch (JsonException)
        {
            return false; // an HTML error page from a proxy, say: fall back to headers and status
        }
    }

    private static string? AsString(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static TimeSpan? AsSeconds(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetDouble(out var s) && s >= 0 => TimeSpan.FromSeconds(s),
        JsonValueKind.String when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0
            => TimeSpan.FromSeconds(s),
        _ => null,
    };

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault(v => !string.IsNullOrEmpty(v)) : null;

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}
