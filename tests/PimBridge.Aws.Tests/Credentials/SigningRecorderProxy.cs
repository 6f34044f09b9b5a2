using System.Net;
using System.Net.Sockets;

namespace PimBridge.Aws.Tests.Credentials;

/// <summary>One request that crossed the proxy: the access key that signed it (null when unsigned), what it asked for, and moto's answer.</summary>
public sealed record SignedRequest(string? AccessKeyId, string? Target, string Body)
{
    public string ResponseBody { get; set; } = "";
}

/// <summary>
/// A loopback HTTP proxy in front of moto for code whose AWS clients a test cannot reach into (the host composition):
/// it records which access key signed each request (the SigV4 <c>Credential=</c> of the Authorization header) and
/// passes the request on to moto unchanged.
/// </summary>
public sealed class SigningRecorderProxy : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _moto = new(new SocketsHttpHandler { AllowAutoRedirect = false });
    private readonly Uri _upstream;
    private readonly List<SignedRequest> _requests = [];
    private readonly Task _loop;

    /// <summary>Headers that describe one connection, not the request; HttpClient sets its own.</summary>
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Expect", "Proxy-Connection",
    };

    public SigningRecorderProxy(Uri upstream)
    {
        _upstream = upstream;
        var port = FreePort();
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Endpoint.ToString());
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri Endpoint { get; }

    public IReadOnlyList<SignedRequest> Requests { get { lock (_requests) return [.. _requests]; } }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            _ = Task.Run(() => ForwardAsync(context));
        }
    }

    private async Task ForwardAsync(HttpListenerContext context)
    {
        var incoming = context.Request;
        using var body = new MemoryStream();
        await incoming.InputStream.CopyToAsync(body);
        var bytes = body.ToArray();
        var authorization = incoming.Headers["Authorization"];
        var recorded = new SignedRequest(AccessKeyOf(authorization), incoming.Headers["X-Amz-Target"], System.Text.Encoding.UTF8.GetString(bytes));

        using var request = new HttpRequestMessage(new HttpMethod(incoming.HttpMethod), new Uri(_upstream, incoming.RawUrl)) { Content = new ByteArrayContent(bytes) };
        foreach (var name in incoming.Headers.AllKeys.OfType<string>())
        {
            if (HopByHop.Contains(name)) continue;
            var values = incoming.Headers.GetValues(name) ?? [];
            if (!request.Headers.TryAddWithoutValidation(name, values)) request.Content.Headers.TryAddWithoutValidation(name, values);
        }

        var outgoing = context.Response;
        try
        {
            using var response = await _moto.SendAsync(request);
            outgoing.StatusCode = (int)response.StatusCode;
            foreach (var header in response.Headers.Concat(response.Content.Headers))
            {
                if (header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || header.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)) continue;
                outgoing.Headers[header.Key] = string.Join(",", header.Value);
            }

            var answer = await response.Content.ReadAsByteArrayAsync();
            recorded.ResponseBody = System.Text.Encoding.UTF8.GetString(answer);
            // Recorded once answered, so a test that reads the list after its call sees the answer too.
            lock (_requests) _requests.Add(recorded);
            outgoing.ContentLength64 = answer.Length;
            await outgoing.OutputStream.WriteAsync(answer);
        }
        catch (HttpRequestException e)
        {
            outgoing.StatusCode = 502;
            await outgoing.OutputStream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(e.Message));
        }
        finally
        {
            outgoing.Close();
        }
    }

    /// <summary>The access key id in <c>AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, …</c>.</summary>
    private static string? AccessKeyOf(string? authorization)
    {
        const string marker = "Credential=";
        if (authorization is null) return null;
        var start = authorization.IndexOf(marker, StringComparison.Ordinal);
        if (start < 0) return null;
        start += marker.Length;
        return authorization[start..authorization.IndexOf('/', start)];
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
        _moto.Dispose();
    }
}
