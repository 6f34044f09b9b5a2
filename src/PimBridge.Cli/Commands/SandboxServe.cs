using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PimBridge.Host;
using PimBridge.Sandbox;
using PimBridge.Sandbox.Graph;
using PimBridge.Sandbox.Scenarios;

namespace PimBridge.Cli.Commands;

/// <summary>
/// <c>pimbridge sandbox --serve</c>: a local world kept running until Ctrl+C or SIGTERM, for a person to explore by hand.
/// The <see cref="LocalWorld"/> (moto_server with the scenario's Identity Center, the Graph stub with its PIM control
/// surface, and a configuration pointing at them) and, in this process, the host <c>pimbridge serve</c> runs
/// (<see cref="PimBridgeHost"/>) over that configuration on a loopback port. It prints the addresses and the exact
/// commands to activate PIM, deliver the group's change notification, and watch grants, fences and alerts. The host
/// runs in this process rather than as a child so that one signal handler stops everything, in order: the host (its
/// tick in flight finishes), then the stub and moto_server, by the process id MotoServer started.
/// </summary>
internal static class SandboxServe
{
    /// <summary>How long moto_server may take to answer.</summary>
    private static readonly TimeSpan MotoStartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long stopping waits for the host's tick in flight. Shorter than serve's: nothing real is at stake, and a
    /// terminal's Ctrl+C reaches moto_server too, so a tick may be retrying calls to an emulator that is gone.
    /// </summary>
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long the host may take to compose the engine and answer /readyz.</summary>
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(Scenario scenario, bool keep, CliConsole console, CancellationToken cancellationToken)
    {
        // Ctrl+C and SIGTERM are how this command ends, normally: it takes them itself (as the scenario run does), so
        // the host's console lifetime never sees them and the order of stopping stays ours.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigint = console.HandlesProcessTermination ? PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop) : null;
        using var sigterm = console.HandlesProcessTermination ? PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop) : null;

        var folder = Directory.CreateTempSubdirectory("pimbridge-sandbox-serve-").FullName;
        await console.Error.WriteLineAsync($"pimbridge sandbox --serve: starting moto_server, the Graph PIM stub and pimbridge serve for scenario '{scenario.Name}'...").ConfigureAwait(false);
        LocalWorld? world = null;
        WebApplication? host = null;
        var exit = ExitCodes.Success;
        var running = false;
        try
        {
            world = await LocalWorld.StartAsync(scenario, folder, MotoStartTimeout, stop.Token).ConfigureAwait(false);
            var secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
            host = BuildHost(world, secret);
            await host.StartAsync(stop.Token).ConfigureAwait(false);
            var url = new Uri(host.Urls.Single());
            await WaitReadyAsync(url, stop.Token).ConfigureAwait(false);

            SandboxServeGuide.Write(console.Output, world, url, secret, keep);
            await console.Output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            running = true;
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (running)
        {
            // Ctrl+C or SIGTERM once everything ran: the normal end.
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
            await console.Error.WriteLineAsync("Cancelled while starting.").ConfigureAwait(false);
            exit = ExitCodes.Cancelled;
        }
        catch (SandboxPrerequisiteException e)
        {
            await console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            exit = ExitCodes.UnexpectedFailure;
        }
        finally
        {
            // Each step says when it starts, so a stop that takes long (a shutdown timeout running out) shows where.
            if (host is not null)
            {
                await console.Error.WriteLineAsync("Stopping pimbridge serve...").ConfigureAwait(false);
                await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
                await host.DisposeAsync().ConfigureAwait(false);
            }

            if (world is not null)
            {
                await console.Error.WriteLineAsync("Stopping the Graph stub and moto_server...").ConfigureAwait(false);
                await world.DisposeAsync().ConfigureAwait(false);
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            var folderFate = keep ? $"Kept the folder {folder}." : await DeleteFolderAsync(folder).ConfigureAwait(false);
            var stopped = host is not null ? "Stopped pimbridge serve, the Graph stub and moto_server." : "Nothing the sandbox started is running.";
            await console.Error.WriteLineAsync($"{stopped} {folderFate}").ConfigureAwait(false);
        }

        return exit;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true; // the cleanup above decides when the process ends
            stop.Cancel();
        }
    }

    /// <summary>
    /// The host <c>pimbridge serve</c> would run with <c>--config</c> and <c>--store</c> in the world's folder,
    /// <c>--PimBridge:AwsEndpoint</c> at moto, a shared secret for deliveries, and the poll off (so PIM is read when
    /// a notification says so, which is what the person is trying out), listening on a free loopback port.
    /// </summary>
    private static WebApplication BuildHost(LocalWorld world, string secret)
    {
        // The world's folder as content root: an appsettings.json where the command was started is not this host's.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = world.Folder });
        builder.Configuration
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["PimBridge:Store"] = "sqlite",
                ["PimBridge:SqlitePath"] = world.StatePath,
                ["PimBridge:AwsEndpoint"] = world.MotoEndpoint.ToString(),
                ["PimBridge:Host:SharedSecret:Secret"] = secret,
                ["PimBridge:Host:Worker:PollInterval"] = "00:00:00",
                // Standard output is the guide; the host's warnings go to standard error.
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:Console:LogToStandardErrorThreshold"] = "Trace",
            })
            .AddInMemoryCollection(ConfigFileOption.HostSettings(world.ConfigFile));
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = ShutdownTimeout);
        return PimBridgeHost.Build(builder, ShippedParts.Serve with { AwsCredentials = LocalWorld.AwsCredentials });
    }

    /// <summary>Waits for /readyz: the engine composed from the generated configuration, the store open, deliveries accepted.</summary>
    private static async Task WaitReadyAsync(Uri url, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTimeOffset.UtcNow + ReadyTimeout;
        var answer = "";
        while (DateTimeOffset.UtcNow < deadline)
        {
            using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative), cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode) return;
            answer = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }

        string reason;
        try
        {
            reason = JsonNode.Parse(answer)?["reason"]?.GetValue<string>() ?? answer;
        }
        catch (System.Text.Json.JsonException)
        {
            reason = answer;
        }

        throw new InvalidOperationException($"pimbridge serve did not become ready within {ReadyTimeout.TotalSeconds:0} s: {reason}");
    }

    /// <summary>Deletes the folder; what became of it, for the last line.</summary>
    private static async Task<string> DeleteFolderAsync(string folder)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
                return "Deleted the folder.";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // SQLite may still be removing its -wal and -shm files as its last connection closes: try again
                // shortly. A file held open for longer (an indexer) must not turn a clean stop into a failure.
                if (attempt == 5)
                    return $"Could not delete the folder {folder} ({e.Message}); delete it yourself.";
            }

            await Task.Delay(200).ConfigureAwait(false);
        }
    }
}
