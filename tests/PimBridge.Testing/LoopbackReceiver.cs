using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PimBridge.Testing;

/// <summary>One request as it arrived on the wire.</summary>
public sealed record ReceivedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public JsonNode Json => JsonNode.Parse(Body)!;

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>What the receiver answers: a status, an optional text body and headers.</summary>
public sealed record Reply(int Status, string? Body = null, IReadOnlyDictionary<string, string>? Headers = null);

/// <summary>
/// A real HTTP server (Kestrel) on 127.0.0.1 with an OS-chosen port that records every request and answers from a
/// queue of replies (then <see cref="DefaultReply"/>). <see cref="StartHttpsAsync"/> serves TLS with a throwaway
/// in-memory certificate that only <see cref="TrustingClient"/> trusts, for SDKs that refuse bearer tokens over http.
/// </summary>
public sealed class LoopbackReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly ConcurrentQueue<Reply> _replies = new();
    private readonly X509Certificate2? _certificate;

    private LoopbackReceiver(WebApplication app, X509Certificate2? certificate)
    {
        _app = app;
        _certificate = certificate;
        _app.Run(HandleAsync);
    }

    /// <summary>http(s)://127.0.0.1:{port}</summary>
    public Uri Root { get; private set; } = null!;

    public Reply DefaultReply { get; set; } = new(200, "ok");

    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    /// <summary>The one request received; fails naming how many arrived when that is not exactly one.</summary>
    public ReceivedRequest Single() => Requests is [var only]
        ? only
        : throw new InvalidOperationException($"expected exactly one request, received {Requests.Count}");

    public Uri Url(string path) => new(Root, path);

    public void Enqueue(params Reply[] replies)
    {
        foreach (var reply in replies) _replies.Enqueue(reply);
    }

    public static Task<LoopbackReceiver> StartAsync() => StartAsync(certificate: null);

    public static Task<LoopbackReceiver> StartHttpsAsync() => StartAsync(CreateCertificate());

    /// <summary>An HttpClient that trusts exactly this receiver's certificate (and nothing else).</summary>
    public HttpClient TrustingClient()
    {
        var thumbprint = _certificate?.Thumbprint ?? throw new InvalidOperationException("Not an https receiver.");
        return new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == thumbprint },
        });
    }

    private static async Task<LoopbackReceiver> StartAsync(X509Certificate2? certificate)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null) listen.UseHttps(certificate);
        }));
        var receiver = new LoopbackReceiver(builder.Build(), certificate);
        await receiver._app.StartAsync();
        var address = receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.Root = new Uri(address.Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1"));
        return receiver;
    }

    private async Task HandleAsync(HttpContext context)
    {
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
            body = await reader.ReadToEndAsync();
        _requests.Enqueue(new ReceivedRequest(
            context.Request.Method,
            context.Request.Path + context.Request.QueryString,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body));

        var reply = _replies.TryDequeue(out var next) ? next : DefaultReply;
        context.Response.StatusCode = reply.Status;
        foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>())
            context.Response.Headers[name] = value;
        if (reply.Body is not null)
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(reply.Body);
        }
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // Round-trip through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _certificate?.Dispose();
    }
}
