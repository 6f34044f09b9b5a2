using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PimBridge.Sandbox.Graph;

/// <summary>
/// A real HTTP server on 127.0.0.1 (Kestrel, port chosen by the OS) that answers like Microsoft Graph from routes the
/// caller registers (the sandbox, or a test). Every request is recorded. The real Graph SDK client is pointed at <see cref="BaseUrl"/>.
/// </summary>
public sealed class GraphStub : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<StubRequest> _requests = new();
    private readonly List<(string Method, Regex Path, Func<StubRequest, Match, StubResponse> Handler)> _routes = [];
    private readonly Lock _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private GraphStub(WebApplication app)
    {
        _app = app;
        _app.Run(HandleAsync);
    }

    /// <summary>http://127.0.0.1:{port}</summary>
    public Uri Root { get; private set; } = null!;

    /// <summary>The Graph base URL the SDK is given: {Root}/v1.0</summary>
    public string BaseUrl => $"{Root.ToString().TrimEnd('/')}/v1.0";

    public IReadOnlyList<StubRequest> Requests => [.. _requests];

    public static async Task<GraphStub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // The stub runs inside other programs (pimbridge sandbox, test hosts): Ctrl+C belongs to them, not to the
        // default console lifetime, which would stop the stub on SIGINT and swallow the signal.
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var stub = new GraphStub(builder.Build());
        await stub._app.StartAsync();
        var address = stub._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        stub.Root = new Uri(address);
        return stub;
    }

    /// <summary>Answers <paramref name="method"/> requests whose path (after /v1.0) matches <paramref name="pathPattern"/>. Later routes win.</summary>
    public void On(string method, string pathPattern, Func<StubRequest, Match, StubResponse> handler)
    {
        lock (_gate) _routes.Insert(0, (method, new Regex($"^/v1\\.0{pathPattern}$", RegexOptions.IgnoreCase), handler));
    }

    public void On(string method, string pathPattern, Func<StubRequest, StubResponse> handler) => On(method, pathPattern, (r, _) => handler(r));

    /// <summary>
    /// Answers <paramref name="method"/> requests whose whole path matches <paramref name="pathPattern"/>, outside
    /// Graph's /v1.0: what the sandbox serves beside Graph (its PIM control surface). Later routes win.
    /// </summary>
    public void OnPath(string method, string pathPattern, Func<StubRequest, StubResponse> handler)
    {
        lock (_gate) _routes.Insert(0, (method, new Regex($"^{pathPattern}$", RegexOptions.IgnoreCase), (r, _) => handler(r)));
    }

    /// <summary>Forgets every route and recorded request.</summary>
    public void Reset()
    {
        lock (_gate) _routes.Clear();
        _requests.Clear();
    }

    /// <summary>Requests with this method whose path (after /v1.0) matches the pattern.</summary>
    public IReadOnlyList<StubRequest> Received(string method, string pathPattern)
    {
        var regex = new Regex($"^/v1\\.0{pathPattern}$", RegexOptions.IgnoreCase);
        return Requests.Where(r => r.Method == method && regex.IsMatch(r.Path)).ToList();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var http = context.Request;
        string body;
        using (var reader = new StreamReader(http.Body, Encoding.UTF8))
            body = await reader.ReadToEndAsync();
        var request = new StubRequest(
            http.Method,
            http.Path.Value ?? "",
            http.QueryString.Value ?? "",
            http.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal),
            http.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body,
            _clock.Elapsed);
        _requests.Enqueue(request);

        (Func<StubRequest, Match, StubResponse> Handler, Match Match)? route = null;
        lock (_gate)
        {
            foreach (var (method, path, handler) in _routes)
            {
                if (!string.Equals(method, request.Method, StringComparison.OrdinalIgnoreCase)) continue;
                var match = path.Match(request.Path);
                if (match.Success) { route = (handler, match); break; }
            }
        }

        var response = route is { } r
            ? r.Handler(request, r.Match)
            : StubResponse.Error(404, "Stub_NoRoute", $"The Graph stub has no route for {request.Method} {request.Path}.");
        context.Response.StatusCode = response.Status;
        foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
            context.Response.Headers[name] = value;
        if (response.Json is not null)
        {
            context.Response.ContentType = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8";
            await context.Response.WriteAsync(response.Json);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
