using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PimBridge.Cli.Tests;

/// <summary>
/// A real headless Chromium (Debian's <c>chromium</c> package), driven through the DevTools protocol over a
/// <see cref="ClientWebSocket"/>: it opens pages from files, evaluates script in them and takes screenshots. It is found
/// on PATH or at <c>PIMBRIDGE_CHROMIUM</c>; when it is missing, starting fails with the install hint (tests never skip).
/// The process is started with its own temporary profile, killed by its id on dispose, and the profile deleted.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Variable = "PIMBRIDGE_CHROMIUM";
    public const string InstallHint = $"Install it with: apt-get install chromium (Debian's package; .ci/run does this), or set {Variable} to a Chromium executable.";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly string _profile;
    private readonly StringBuilder _log;
    private readonly ClientWebSocket _socket = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _replies = new();
    private readonly List<(string Method, string? Session, TaskCompletionSource<JsonElement> Seen)> _waiters = [];
    private readonly List<(string Method, string? Session, JsonElement Params)> _events = [];
    private Task _receiving = Task.CompletedTask;
    private int _nextId;

    private HeadlessChromium(Process process, string profile, StringBuilder log)
    {
        _process = process;
        _profile = profile;
        _log = log;
        // A safety net: if the owner never disposes (a crash, a forced exit), the browser still dies with this process.
        AppDomain.CurrentDomain.ProcessExit += KillOnExit;
    }

    /// <summary>What Chromium printed, for failure messages.</summary>
    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>The executable: <c>PIMBRIDGE_CHROMIUM</c>, else <c>chromium</c> (or <c>chromium-browser</c>) on PATH.</summary>
    /// <exception cref="InvalidOperationException">There is none; the message says how to install it.</exception>
    public static string Locate()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } configured)
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{Variable} names '{configured}', which does not exist. {InstallHint}");
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var folder in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var name in (string[])["chromium", "chromium-browser"])
            {
                var candidate = Path.Combine(folder, name);
                if (File.Exists(candidate)) return candidate;
            }
        }

        throw new InvalidOperationException($"Chromium was not found on PATH, and {Variable} is not set; the HTML report tests need a real browser. {InstallHint}");
    }

    public static async Task<HeadlessChromium> StartAsync()
    {
        var file = Locate();
        var profile = Directory.CreateTempSubdirectory("pimbridge-chromium-").FullName;
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        string[] args =
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--remote-debugging-port=0",
            $"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
            "--mute-audio", "about:blank",
        ];
        foreach (var arg in args)
            start.ArgumentList.Add(arg);

        var log = new StringBuilder();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Directory.Delete(profile, recursive: true);
            throw new InvalidOperationException($"Could not run Chromium ({file}): {e.Message}. {InstallHint}", e);
        }

        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException($"Chromium ({file}) closed its output before it listened.\n{Text(log)}"));
                return;
            }

            lock (log) log.AppendLine(e.Data);
            const string marker = "DevTools listening on ";
            var at = e.Data.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
                listening.TrySetResult(new Uri(e.Data[(at + marker.Length)..].Trim()));
        };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

        var browser = new HeadlessChromium(process, profile, log);
        try
        {
            var endpoint = await listening.Task.WaitAsync(Timeout).ConfigureAwait(false);
            using var connecting = new CancellationTokenSource(Timeout);
            await browser._socket.ConnectAsync(endpoint, connecting.Token).ConfigureAwait(false);
            browser._receiving = Task.Run(browser.ReceiveAsync);
            return browser;
        }
        catch (Exception e) when (e is TimeoutException or WebSocketException or OperationCanceledException)
        {
            var output = browser.Log;
            await browser.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"Chromium ({file}) did not open its DevTools endpoint: {e.Message}\n{output}", e);
        }
        catch
        {
            await browser.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A new tab with the file loaded (its load event fired).</summary>
    public async Task<ChromiumPage> OpenAsync(string path)
    {
        var target = await SendAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" }).ConfigureAwait(false);
        var attached = await SendAsync("Target.attachToTarget", new JsonObject { ["targetId"] = target.GetProperty("targetId").GetString(), ["flatten"] = true }).ConfigureAwait(false);
        var page = new ChromiumPage(this, target.GetProperty("targetId").GetString()!, attached.GetProperty("sessionId").GetString()!);
        try
        {
            await SendAsync("Page.enable", session: page.Session).ConfigureAwait(false);
            await SendAsync("Network.enable", session: page.Session).ConfigureAwait(false);
            var loaded = WaitFor("Page.loadEventFired", page.Session);
            var navigated = await SendAsync("Page.navigate", new JsonObject { ["url"] = new Uri(Path.GetFullPath(path)).AbsoluteUri }, page.Session).ConfigureAwait(false);
            if (navigated.TryGetProperty("errorText", out var error))
                throw new InvalidOperationException($"Chromium could not open '{path}': {error.GetString()}");
            await loaded.WaitAsync(Timeout).ConfigureAwait(false);
            return page;
        }
        catch
        {
            await page.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The parameters of every event of one kind a tab's session reported so far, oldest first.</summary>
    public IReadOnlyList<JsonElement> EventsOf(string session, string method)
    {
        lock (_events)
            return _events.Where(e => e.Method == method && e.Session == session).Select(e => e.Params).ToList();
    }

    /// <summary>Sends one DevTools command and returns its result; a protocol error throws.</summary>
    public async Task<JsonElement> SendAsync(string method, JsonObject? parameters = null, string? session = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _replies[id] = reply;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        if (session is not null) message["sessionId"] = session;
        var bytes = Encoding.UTF8.GetBytes(message.ToJsonString());
        await _sending.WaitAsync().ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, _stop.Token).ConfigureAwait(false);
        }
        finally
        {
            _sending.Release();
        }

        try
        {
            return await reply.Task.WaitAsync(Timeout).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"Chromium did not answer {method} within {Timeout.TotalSeconds:0} s.\n{Log}", e);
        }
    }

    private Task<JsonElement> WaitFor(string method, string? session)
    {
        var seen = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_events) _waiters.Add((method, session, seen));
        return seen.Task;
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                message.SetLength(0);
                WebSocketReceiveResult received;
                do
                {
                    received = await _socket.ReceiveAsync(buffer, _stop.Token).ConfigureAwait(false);
                    if (received.MessageType == WebSocketMessageType.Close) return;
                    message.Write(buffer, 0, received.Count);
                }
                while (!received.EndOfMessage);

                using var document = JsonDocument.Parse(message.ToArray());
                var root = document.RootElement.Clone();
                if (root.TryGetProperty("id", out var id) && _replies.TryRemove(id.GetInt32(), out var reply))
                {
                    if (root.TryGetProperty("error", out var error))
                        reply.TrySetException(new InvalidOperationException($"DevTools error: {error}"));
                    else
                        reply.TrySetResult(root.GetProperty("result"));
                }
                else if (root.TryGetProperty("method", out var method))
                {
                    var name = method.GetString()!;
                    var session = root.TryGetProperty("sessionId", out var s) ? s.GetString() : null;
                    var parameters = root.TryGetProperty("params", out var p) ? p : default;
                    lock (_events)
                    {
                        _events.Add((name, session, parameters));
                        foreach (var waiter in _waiters.Where(w => w.Method == name && w.Session == session).ToList())
                        {
                            waiter.Seen.TrySetResult(parameters);
                            _waiters.Remove(waiter);
                        }
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // Closing down, or Chromium went away: whoever waits on a reply gets the failure below.
        }
        finally
        {
            foreach (var reply in _replies.Values)
                reply.TrySetException(new InvalidOperationException($"Chromium's DevTools connection closed.\n{Log}"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Abort();
        _socket.Dispose();
        await _receiving.ConfigureAwait(false);
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(exit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
            // Already gone, or (killed but not reaped within 30 s) nothing more this process can do about it.
        }

        _process.Dispose();
        _stop.Dispose();
        _sending.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // A file Chromium's last child still held: the temp folder is left for the OS to clean.
        }
    }

    private void KillOnExit(object? sender, EventArgs e)
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static string Text(StringBuilder log)
    {
        lock (log) return log.ToString();
    }
}

/// <summary>One tab of <see cref="HeadlessChromium"/>, attached as its own DevTools session.</summary>
public sealed class ChromiumPage(HeadlessChromium browser, string target, string session) : IAsyncDisposable
{
    public string Session { get; } = session;

    /// <summary>Every URL the tab requested: the page's own file:// URL and, if anything leaked out, the rest.</summary>
    public IReadOnlyList<string> Requests =>
        browser.EventsOf(Session, "Network.requestWillBeSent").Select(e => e.GetProperty("request").GetProperty("url").GetString() ?? "").ToList();

    /// <summary>Why each request the browser refused was refused (<c>Network.loadingFailed</c>'s <c>blockedReason</c>, such as <c>csp</c>), by URL.</summary>
    public IReadOnlyDictionary<string, string?> Blocked
    {
        get
        {
            var urls = browser.EventsOf(Session, "Network.requestWillBeSent")
                .ToDictionary(e => e.GetProperty("requestId").GetString()!, e => e.GetProperty("request").GetProperty("url").GetString()!);
            return browser.EventsOf(Session, "Network.loadingFailed")
                .Where(e => urls.ContainsKey(e.GetProperty("requestId").GetString()!))
                .ToDictionary(
                    e => urls[e.GetProperty("requestId").GetString()!],
                    e => e.TryGetProperty("blockedReason", out var reason) ? reason.GetString() : null);
        }
    }

    /// <summary>Evaluates a script expression in the page and returns its value (JSON); a thrown error fails.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        var result = await browser.SendAsync("Runtime.evaluate", new JsonObject
        {
            ["expression"] = expression,
            ["returnByValue"] = true,
            ["awaitPromise"] = true,
        }, Session).ConfigureAwait(false);
        if (result.TryGetProperty("exceptionDetails", out var exception))
            throw new InvalidOperationException($"The page threw evaluating {expression}: {exception}");
        var value = result.GetProperty("result");
        return value.TryGetProperty("value", out var v) ? v : default;
    }

    public async Task<string> TextAsync(string expression) => (await EvaluateAsync(expression).ConfigureAwait(false)).GetString() ?? "";

    public async Task<int> CountAsync(string expression) => (await EvaluateAsync(expression).ConfigureAwait(false)).GetInt32();

    /// <summary>A PNG of the whole page at <paramref name="width"/> CSS pixels wide.</summary>
    public async Task<byte[]> ScreenshotAsync(int width)
    {
        await browser.SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject
        {
            ["width"] = width, ["height"] = 800, ["deviceScaleFactor"] = 1, ["mobile"] = false,
        }, Session).ConfigureAwait(false);
        var height = await CountAsync("Math.ceil(document.documentElement.scrollHeight)").ConfigureAwait(false);
        var shot = await browser.SendAsync("Page.captureScreenshot", new JsonObject
        {
            ["format"] = "png",
            ["captureBeyondViewport"] = true,
            ["clip"] = new JsonObject { ["x"] = 0, ["y"] = 0, ["width"] = width, ["height"] = height, ["scale"] = 1 },
        }, Session).ConfigureAwait(false);
        return Convert.FromBase64String(shot.GetProperty("data").GetString()!);
    }

    public async ValueTask DisposeAsync() => await browser.SendAsync("Target.closeTarget", new JsonObject { ["targetId"] = target }).ConfigureAwait(false);
}
