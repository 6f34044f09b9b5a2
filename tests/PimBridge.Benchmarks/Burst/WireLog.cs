using System.Collections.Concurrent;
using System.Text.Json;

namespace PimBridge.Benchmarks.Burst;

/// <summary>
/// What crossed the wire, below the signer, for either AWS (the model's wire or moto's socket): every HTTP attempt by
/// operation, every error answer by operation and code, and when each operation was first sent after
/// <see cref="Reset"/>. Counting attempts, not calls: a throttled call retried by the client counts once per attempt,
/// as AWS would count it against the quota.
/// </summary>
internal sealed class WireLog(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Operation, string Code), int> _errors = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _firstSent = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _identityStore = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Sent> _timeline = new();

    /// <summary>One attempt: when it was sent, and its error code once answered with one (null: answered 2xx).</summary>
    public sealed record Sent(DateTimeOffset At, string Operation)
    {
        public string? Error { get; set; }
    }

    public void Reset()
    {
        _calls.Clear();
        _errors.Clear();
        _firstSent.Clear();
        _timeline.Clear();
    }

    /// <summary>Every attempt since the last <see cref="Reset"/>, in the order sent.</summary>
    public IReadOnlyList<Sent> Timeline => [.. _timeline];

    public IReadOnlyDictionary<string, int> Calls => new SortedDictionary<string, int>(_calls, StringComparer.Ordinal);

    public IReadOnlyDictionary<(string Operation, string Code), int> Errors => new Dictionary<(string, string), int>(_errors);

    public int Count(string operation) => _calls.GetValueOrDefault(operation);

    /// <summary>Whether the operation is Identity Store's (its own quota), not sso-admin's.</summary>
    public bool IsIdentityStore(string operation) => _identityStore.ContainsKey(operation);

    /// <summary>When the operation was first sent since the last <see cref="Reset"/>, if it was.</summary>
    public DateTimeOffset? FirstSent(string operation) => _firstSent.TryGetValue(operation, out var at) ? at : null;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var target = request.Headers.TryGetValues("X-Amz-Target", out var values) ? values.First() : "?";
        var operation = target[(target.IndexOf('.') + 1)..];
        if (target.StartsWith("AWSIdentityStore.", StringComparison.Ordinal)) _identityStore.TryAdd(operation, 0);
        var sent = new Sent(DateTimeOffset.UtcNow, operation);
        _firstSent.TryAdd(operation, sent.At);
        _timeline.Enqueue(sent);
        _calls.AddOrUpdate(operation, 1, (_, n) => n + 1);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            sent.Error = await ErrorCodeAsync(response, cancellationToken).ConfigureAwait(false);
            _errors.AddOrUpdate((operation, sent.Error), 1, (_, n) => n + 1);
        }
        return response;
    }

    /// <summary>The error's code as the client reads it: the body's <c>__type</c>, else moto's <c>x-amzn-ErrorType</c> header.</summary>
    private static async Task<string> ErrorCodeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            if (body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("__type", out var type) && type.GetString() is { } code)
                return code[(code.IndexOf('#') + 1)..];
        }
        catch (JsonException)
        {
            // not JSON: fall back to the header
        }

        return response.Headers.TryGetValues("x-amzn-ErrorType", out var header) ? header.First().Split(':')[0] : $"HTTP {(int)response.StatusCode}";
    }
}
