using System.Collections;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PimBridge.Sandbox;

/// <summary>
/// A real moto_server (the AWS API emulator) on a free loopback port, started for a test run and stopped after it.
/// It runs the moto_server named by PIMBRIDGE_MOTO_SERVER, else the one on PATH, else a pinned one it installs once into a
/// private virtual environment (<see cref="MotoInstallation"/>). It never silently skips: a moto it cannot find, install
/// or start fails with the fix.
/// </summary>
public sealed class MotoServer : IAsyncDisposable
{
    public const string InstallHint = "PimBridge runs the moto_server named by PIMBRIDGE_MOTO_SERVER, else the one on PATH, else " + MotoInstallation.Requirement + ", which it installs once into a private virtual environment in your cache folder (this needs Python 3.9+ with venv; delete that folder to reinstall). Set PIMBRIDGE_MOTO_SERVER to a working moto_server to use another.";

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

    /// <summary>Starts moto_server as this process's environment finds it; an install, if one is needed, reports on standard error.</summary>
    public static Task<MotoServer> StartAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        StartAsync(ThisProcessEnvironment(), Console.Error, timeout, cancellationToken);

    /// <summary>Starts moto_server as <paramref name="environment"/> finds it, and runs it (and any install) with only that environment.</summary>
    public static async Task<MotoServer> StartAsync(IReadOnlyDictionary<string, string> environment, TextWriter progress, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var file = await LocateAsync(environment, progress, cancellationToken).ConfigureAwait(false);
        var port = FreeLoopbackPort();
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-H", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(arg);
        start.Environment.Clear();
        foreach (var (key, value) in environment) start.Environment[key] = value;

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

    /// <summary>
    /// The moto_server to run: PIMBRIDGE_MOTO_SERVER, else moto_server on PATH, else the private installation, installed
    /// first if need be.
    /// </summary>
    public static async Task<string> LocateAsync(IReadOnlyDictionary<string, string> environment, TextWriter progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment.TryGetValue("PIMBRIDGE_MOTO_SERVER", out var configured) && !string.IsNullOrWhiteSpace(configured))
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"PIMBRIDGE_MOTO_SERVER is set to '{configured}', which does not exist. {InstallHint}");
        return MotoInstallation.FindOnPath(environment, "moto_server")
            ?? await new MotoInstallation(environment, progress).EnsureInstalledAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>This process's environment variables, as <see cref="StartAsync(IReadOnlyDictionary{string, string}, TextWriter, TimeSpan?, CancellationToken)"/> takes them.</summary>
    public static IReadOnlyDictionary<string, string> ThisProcessEnvironment()
    {
        var variables = new Dictionary<string, string>(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            variables[(string)entry.Key] = entry.Value as string ?? "";
        return variables;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
