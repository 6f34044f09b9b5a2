using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PimBridge.Sandbox;

/// <summary>
/// A real moto_server (the AWS API emulator) on a free loopback port, started for a test run and stopped after it.
/// It never silently skips: a missing moto fails with the install hint.
/// </summary>
public sealed class MotoServer : IAsyncDisposable
{
    public const string InstallHint = "Install it with: pip install \"moto[server]\" (Python 3.9+), or set PIMBRIDGE_MOTO_SERVER to the moto_server executable.";

    private readonly Process _process;
    private readonly StringBuilder _output;

    private MotoServer(Process process, Uri endpoint, StringBuilder output)
    {
        _process = process;
        Endpoint = endpoint;
        _output = output;
        // A safety net: if the owner never disposes (a crash, a forced exit), the emulator still dies with this process.
        AppDomain.CurrentDomain.ProcessExit += KillOnExit;
    }

    public Uri Endpoint { get; }

    /// <summary>What the server printed so far, for failure messages.</summary>
    public string Output { get { lock (_output) return _output.ToString(); } }

    public static async Task<MotoServer> StartAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var (file, prefixArgs) = Locate();
        var port = FreeLoopbackPort();
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in prefixArgs.Concat(["-H", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            start.ArgumentList.Add(arg);

        var output = new StringBuilder();
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"Could not run moto_server ({file}): {ex.Message}. {InstallHint}", ex);
        }

        DataReceivedEventHandler capture = (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.OutputDataReceived += capture;
        process.ErrorDataReceived += capture;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var server = new MotoServer(process, new Uri($"http://127.0.0.1:{port}/"), output);
        try
        {
            await server.WaitUntilAnsweringAsync(timeout ?? TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Drops every resource moto holds (POST /moto-api/reset).</summary>
    public async Task ResetAsync()
    {
        using var http = new HttpClient();
        using var response = await http.PostAsync(new Uri(Endpoint, "/moto-api/reset"), null).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void KillOnExit(object? sender, EventArgs e)
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // already gone, or not ours to kill any more
        }
    }

    private async Task WaitUntilAnsweringAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"moto_server exited with code {_process.ExitCode} before answering. {InstallHint}\nIts output:\n{Output}");
            try
            {
                using var response = await http.GetAsync(new Uri(Endpoint, "/moto-api/"), cancellationToken).ConfigureAwait(false);
                return; // any HTTP answer means it is serving
            }
            catch (HttpRequestException) when (deadline.Elapsed < timeout)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested && deadline.Elapsed < timeout)
            {
            }

            if (deadline.Elapsed >= timeout)
                throw new TimeoutException($"moto_server did not answer on {Endpoint} within {timeout.TotalSeconds:0} s.\nIts output:\n{Output}");
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    private static (string File, string[] PrefixArgs) Locate()
    {
        var configured = Environment.GetEnvironmentVariable("PIMBRIDGE_MOTO_SERVER");
        if (!string.IsNullOrWhiteSpace(configured))
            return File.Exists(configured)
                ? (configured, [])
                : throw new InvalidOperationException($"PIMBRIDGE_MOTO_SERVER is set to '{configured}', which does not exist. {InstallHint}");
        if (FindOnPath("moto_server") is { } onPath)
            return (onPath, []);
        throw new InvalidOperationException($"moto_server was not found on PATH; the sandbox and the AWS integration tests run the real moto emulator. {InstallHint}");
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
