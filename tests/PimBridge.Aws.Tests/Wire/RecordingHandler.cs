using System.Net;
using System.Text;
using System.Text.Json;

namespace PimBridge.Aws.Tests.Wire;

/// <summary>One request as it left the signer: what AWS would have received.</summary>
public sealed record RecordedRequest(HttpMethod Method, Uri Uri, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string Target => Headers["X-Amz-Target"];

    /// <summary>The target without its service prefix: <c>CreateAccountAssignment</c>.</summary>
    public string Operation => Target[(Target.IndexOf('.') + 1)..];

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>
/// The innermost handler for wire tests: records each request below the SigV4 signer and answers from a script of
/// canned AWS-shaped responses (or throws, to simulate connection failures). An unscripted request fails the test.
/// </summary>
public sealed class RecordingHandler : HttpMessageHandler
{
    private readonly Queue<Func<RecordedRequest, HttpResponseMessage>> _script = new();
    private readonly List<RecordedRequest> _requests = [];

    public IReadOnlyList<RecordedRequest> Requests { get { lock (_requests) return [.. _requests]; } }

    /// <summary>Called for each request before it is answered (for example to move a clock).</summary>
    public Action<RecordedRequest>? OnRequest { get; set; }

    public RecordingHandler Respond(string body, HttpStatusCode status = HttpStatusCode.OK, params (string Name, string Value)[] headers) =>
        Then(_ => Answer(status, body, headers));

    public RecordingHandler RespondError(HttpStatusCode status, string body, params (string Name, string Value)[] headers) =>
        Respond(body, status, headers);

    /// <summary>Scripts <paramref name="count"/> answers chosen by operation, for requests sent side by side in an order the test does not fix.</summary>
    public RecordingHandler RespondByOperation(int count, Func<string, HttpResponseMessage> answer)
    {
        for (var i = 0; i < count; i++) Then(r => answer(r.Operation));
        return this;
    }

    public RecordingHandler Fail(Exception exception) => Then(_ => throw exception);

    public RecordingHandler Then(Func<RecordedRequest, HttpResponseMessage> responder)
    {
        lock (_script) _script.Enqueue(responder);
        return this;
    }

    public static HttpResponseMessage Answer(HttpStatusCode status, string body, params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers) response.Headers.TryAddWithoutValidation(name, value);
        return response;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var h in request.Headers) headers[h.Key] = string.Join(",", h.Value);
        var body = "";
        if (request.Content is not null)
        {
            foreach (var h in request.Content.Headers) headers[h.Key] = string.Join(",", h.Value);
            body = await request.Content.ReadAsStringAsync(cancellationToken);
        }

        var recorded = new RecordedRequest(request.Method, request.RequestUri!, headers, body);
        lock (_requests) _requests.Add(recorded);
        OnRequest?.Invoke(recorded);
        Func<RecordedRequest, HttpResponseMessage> next;
        lock (_script)
        {
            if (!_script.TryDequeue(out next!))
                throw new InvalidOperationException($"Unscripted request #{_requests.Count}: {recorded.Target} {body}");
        }

        return next(recorded);
    }
}
