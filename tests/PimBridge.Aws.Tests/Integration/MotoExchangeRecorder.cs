using System.Text.Json;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;

namespace PimBridge.Aws.Tests.Integration;

/// <summary>One HTTP exchange with moto as it crossed the wire, below the SigV4 signer.</summary>
public sealed record MotoExchange(
    string Target, string RequestBody, int Status, IReadOnlyDictionary<string, string> ResponseHeaders, string ResponseBody)
{
    /// <summary>The operation name, the part of <c>X-Amz-Target</c> after the service prefix.</summary>
    public string Operation => Target[(Target.LastIndexOf('.') + 1)..];

    public JsonElement Request => JsonDocument.Parse(RequestBody).RootElement;

    public JsonElement Response => JsonDocument.Parse(ResponseBody).RootElement;

    public string? ResponseHeader(string name) => ResponseHeaders.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// The innermost handler for integration tests that need to see the wire: passes every request on to moto unchanged
/// and records the request body, the response status, headers and body. Lets a test count pages and retries, and
/// compare what the typed client returned with what moto actually sent.
/// </summary>
public sealed class MotoExchangeRecorder() : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
{
    private readonly List<MotoExchange> _exchanges = [];

    public IReadOnlyList<MotoExchange> Exchanges { get { lock (_exchanges) return [.. _exchanges]; } }

    public IReadOnlyList<MotoExchange> Of(string operation) => [.. Exchanges.Where(e => e.Operation == operation)];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var target = request.Headers.TryGetValues("X-Amz-Target", out var targets) ? targets.Single() : "";
        var requestBody = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        var response = await base.SendAsync(request, cancellationToken);
        await response.Content.LoadIntoBufferAsync(cancellationToken); // so the client can still read it
        var responseBody = await response.Content.ReadAsStringAsync(cancellationToken);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in response.Headers.Concat(response.Content.Headers))
            headers[header.Key] = string.Join(",", header.Value);
        lock (_exchanges) _exchanges.Add(new MotoExchange(target, requestBody, (int)response.StatusCode, headers, responseBody));
        return response;
    }
}

/// <summary>Clients against the shared moto server whose traffic goes through a <see cref="MotoExchangeRecorder"/>.</summary>
public static class MotoRecordingClients
{
    public static SsoAdminClient RecordingSsoAdmin(this MotoFixture moto, MotoExchangeRecorder recorder, Action<SsoAdminClientOptions>? configure = null)
    {
        var options = moto.Configure(new SsoAdminClientOptions { HttpHandler = recorder });
        configure?.Invoke(options);
        return new SsoAdminClient(options);
    }

    public static IdentityStoreClient RecordingIdentityStore(this MotoFixture moto, MotoExchangeRecorder recorder, Action<IdentityStoreClientOptions>? configure = null)
    {
        var options = moto.Configure(new IdentityStoreClientOptions { HttpHandler = recorder });
        configure?.Invoke(options);
        return new IdentityStoreClient(options);
    }
}
