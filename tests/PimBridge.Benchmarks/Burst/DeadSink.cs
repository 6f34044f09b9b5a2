using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using PimBridge.Core.Configuration;
using PimBridge.Core.Notifications;
using PimBridge.Notifications;

namespace PimBridge.Benchmarks.Burst;

/// <summary>
/// The <c>--dead-sink</c> side load: a notification outbox whose one sink, a webhook carrying every notification kind,
/// points at a loopback TCP listener that accepts each connection, reads what is sent and never answers. Every delivery
/// waits out the HTTP client's timeout (30 s, as the host composes its sinks' client) and is retried with the engine's
/// backoff. The sink and its routes are built by <see cref="NotificationSinks"/>, as from a host's configuration.
/// </summary>
internal sealed class DeadSink : IAsyncDisposable
{
    /// <summary>The host's HTTP sinks' timeout (ComposedEngine.CreateOutbox).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentBag<Socket> _held = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly DeliveryCount _count;
    private readonly HttpClient _http;
    private int _accepted;

    public DeadSink(TimeSpan expiryWarning)
    {
        _listener.Start(backlog: 4096);
        _accepting = AcceptAsync();
        _count = new DeliveryCount(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        _http = new HttpClient(_count) { Timeout = Timeout };
        var port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        var options = new NotificationOptions
        {
            Sinks = [new() { Name = "dead-webhook", Type = "webhook", Url = $"http://127.0.0.1:{port}/hook", Kinds = ["alert", "access-live", "expires-soon", "access-removed"] }],
        };
        Outbox = new NotificationOutbox(NotificationSinks.Create(options, _http, NullLoggerFactory.Instance, credential: null), NotificationSinks.Routes(options), expiryWarning);
        Describe = $"a webhook sink (every kind) at http://127.0.0.1:{port}/ that accepts and never answers; client timeout {Timeout.TotalSeconds:0} s";
    }

    public NotificationOutbox Outbox { get; }

    public string Describe { get; }

    /// <summary>Connections the listener accepted (each a delivery attempt that got through to it).</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Deliveries so far: sent by the client, failed (timed out, mostly), answered (never, by this sink).</summary>
    public (int Sent, int Failed, int Answered) Deliveries => (_count.Sent, _count.Failed, _count.Answered);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _accepted);
                _held.Add(socket);
                _ = DrainAsync(socket);
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        catch (SocketException) when (_stop.IsCancellationRequested)
        {
            // stopping
        }
    }

    /// <summary>Reads and discards what the client sends, so it never blocks on a full buffer; answers nothing.</summary>
    private async Task DrainAsync(Socket socket)
    {
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // the client gave up, or we are stopping
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _accepting.ConfigureAwait(false);
        foreach (var socket in _held) socket.Dispose();
        _http.Dispose();
        _stop.Dispose();
    }

    /// <summary>Counts the sink's HTTP requests as they leave and as they end.</summary>
    private sealed class DeliveryCount(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private int _sent, _failed, _answered;

        public int Sent => Volatile.Read(ref _sent);

        public int Failed => Volatile.Read(ref _failed);

        public int Answered => Volatile.Read(ref _answered);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _sent);
            try
            {
                var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _answered);
                return response;
            }
            catch
            {
                Interlocked.Increment(ref _failed);
                throw;
            }
        }
    }
}
