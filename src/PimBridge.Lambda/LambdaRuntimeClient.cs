using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace PimBridge.Lambda;

/// <summary>
/// The Lambda Runtime API (version 2018-06-01) as a custom runtime uses it: <c>GET runtime/invocation/next</c>,
/// <c>POST runtime/invocation/{id}/response</c>, <c>POST runtime/invocation/{id}/error</c> and
/// <c>POST runtime/init/error</c>, at <c>http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/</c>.
/// </summary>
internal sealed class LambdaRuntimeClient : IDisposable
{
    public const string RuntimeApiVariable = "AWS_LAMBDA_RUNTIME_API";
    public const string ErrorTypeHeader = "Lambda-Runtime-Function-Error-Type";
    private readonly HttpClient _http;

    /// <param name="runtimeApi">The value of <c>AWS_LAMBDA_RUNTIME_API</c>: host and port, such as <c>127.0.0.1:9001</c>.</param>
    public LambdaRuntimeClient(string runtimeApi)
    {
        if (string.IsNullOrWhiteSpace(runtimeApi) || !Uri.TryCreate($"http://{runtimeApi}/2018-06-01/", UriKind.Absolute, out var baseAddress))
            throw new ArgumentException($"{RuntimeApiVariable} must be the Runtime API's host:port (such as 127.0.0.1:9001), not '{runtimeApi}'.", nameof(runtimeApi));
        // No timeout: next is a long poll that returns only when an invocation arrives, and the process may be frozen
        // between invocations for any length of time.
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Waits for the next invocation (a long poll).</summary>
    public async Task<LambdaInvocation> NextInvocationAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync("runtime/invocation/next", HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new LambdaRuntimeApiException($"The Runtime API answered next with {(int)response.StatusCode} {response.ReasonPhrase}.");
        var requestId = Header(response, "Lambda-Runtime-Aws-Request-Id")
            ?? throw new LambdaRuntimeApiException("The Runtime API's next invocation has no Lambda-Runtime-Aws-Request-Id header.");
        var deadlineText = Header(response, "Lambda-Runtime-Deadline-Ms");
        if (!long.TryParse(deadlineText, NumberStyles.None, CultureInfo.InvariantCulture, out var deadlineMs))
            throw new LambdaRuntimeApiException($"The Runtime API's invocation {requestId} has no usable Lambda-Runtime-Deadline-Ms header ('{deadlineText}').");
        var payload = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return new LambdaInvocation(requestId, DateTimeOffset.FromUnixTimeMilliseconds(deadlineMs),
            Header(response, "Lambda-Runtime-Invoked-Function-Arn"), Header(response, "Lambda-Runtime-Trace-Id"), payload);
    }

    public Task PostResponseAsync(string requestId, byte[] body, CancellationToken cancellationToken)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return PostAsync($"runtime/invocation/{Uri.EscapeDataString(requestId)}/response", content, cancellationToken);
    }

    public Task PostErrorAsync(string requestId, LambdaError error, CancellationToken cancellationToken) =>
        PostAsync($"runtime/invocation/{Uri.EscapeDataString(requestId)}/error", ErrorContent(error), cancellationToken);

    public Task PostInitErrorAsync(LambdaError error, CancellationToken cancellationToken) =>
        PostAsync("runtime/init/error", ErrorContent(error), cancellationToken);

    private static HttpContent ErrorContent(LambdaError error)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(error));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.Add(ErrorTypeHeader, error.ErrorType);
        return content;
    }

    private async Task PostAsync(string path, HttpContent content, CancellationToken cancellationToken)
    {
        using (content)
        using (var response = await _http.PostAsync(path, content, cancellationToken).ConfigureAwait(false))
        {
            if (!response.IsSuccessStatusCode)
            {
                var detail = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                throw new LambdaRuntimeApiException($"The Runtime API answered POST {path} with {(int)response.StatusCode} {response.ReasonPhrase}: {detail}");
            }
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    public void Dispose() => _http.Dispose();
}
