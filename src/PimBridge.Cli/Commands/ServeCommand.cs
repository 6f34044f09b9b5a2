using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PimBridge.Composition;
using PimBridge.Core.Configuration;
using PimBridge.Entra;
using PimBridge.Host;

namespace PimBridge.Cli.Commands;

/// <summary>
/// <c>pimbridge serve</c>: one process running all of PimBridge (the Event Grid endpoint, the PIM poll, the enforcer,
/// the gap detector, <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c>) on the same host wiring the Azure Functions
/// app uses (<see cref="PimBridgeHost"/>, <see cref="ComposedEngine"/>). It checks the configuration before
/// it listens, so a typo is an error at once rather than a 503 on <c>/readyz</c>, and it stops gracefully: the tick in
/// flight finishes, then the process exits 0.
/// </summary>
internal static class ServeCommand
{
    /// <summary>Where serve listens unless told otherwise: loopback only, so nothing is exposed by accident.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <summary>
    /// How long a stop waits for the host (the tick in flight, the gap scan) before it gives up on them. Longer than a
    /// tick's AWS calls with their retries take in practice; shorter than an orchestrator's kill grace period (Kubernetes:
    /// 30 s by default, so set <c>terminationGracePeriodSeconds</c> above this).
    /// </summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Host settings without a section that may be given on the command line, as ASP.NET Core knows them.</summary>
    private static readonly HashSet<string> TopLevelHostSettings = new(StringComparer.OrdinalIgnoreCase)
    {
        "environment", "contentRoot", "applicationName", "shutdownTimeoutSeconds", "AllowedHosts", "http_ports", "https_ports",
    };

    public static Command Create(CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var config = new ConfigFileOption();
        var stateStore = new StateStoreOptions();
        var urls = new Option<string?>("--urls")
        {
            Description = $"Where to listen, ';'-separated (default: ASPNETCORE_URLS or ASPNETCORE_HTTP_PORTS when set, else {DefaultUrl}).",
            HelpName = "urls",
        };
        var port = new Option<int?>("--port")
        {
            Description = "Listen on http://127.0.0.1:PORT (0: any free port).",
            HelpName = "port",
        };

        var command = new Command("serve", "Run PimBridge: the event endpoint, the PIM poll, the enforcer, the gap detector, health and metrics, until Ctrl+C or SIGTERM.")
        {
            urls, port,
        };
        config.AddTo(command);
        stateStore.AddTo(command);
        // Host settings pass through to ASP.NET Core (--PimBridge:Host:Worker:PollInterval=00:00:10); RunAsync checks them.
        command.TreatUnmatchedTokensAsErrors = false;
        command.Validators.Add(result =>
        {
            if (result.GetResult(urls) is not null && result.GetResult(port) is not null)
                result.AddError("--urls and --port cannot be used together; give one of them.");
            if (result.GetValue(port) is { } p && p is < 0 or > 65535)
                result.AddError($"--port must be between 0 and 65535, got {p}.");
        });

        Task<int> Run(ParseResult parseResult, CancellationToken cancellationToken) => CommandRunner.RunAsync(parseResult, console, ct => RunAsync(new ServeRequest(
            config, stateStore, parseResult, parseResult.GetValue(urls), parseResult.GetValue(port), parseResult.UnmatchedTokens), console, ct), cancellationToken);

        if (console.HandlesProcessTermination)
        {
            // In the process, Ctrl+C and SIGTERM are the host's: ASP.NET Core's console lifetime stops it gracefully
            // within ShutdownTimeout (or shutdownTimeoutSeconds). An asynchronous action would also get the command
            // line's own handler, which exits 130/143 once its timeout (PimBridgeCommandLine) has passed after the
            // signal, whether or not the host has finished stopping; a synchronous action never gets that handler.
            command.SetAction(parseResult => Run(parseResult, CancellationToken.None).GetAwaiter().GetResult());
        }
        else
        {
            // Embedded (tests): the caller's token stops the host.
            command.SetAction(Run);
        }

        return command;
    }

    private sealed record ServeRequest(
        ConfigFileOption Config, StateStoreOptions StateStore, ParseResult ParseResult, string? Urls, int? Port, IReadOnlyList<string> HostArguments);

    private static async Task<int> RunAsync(ServeRequest request, CliConsole console, CancellationToken cancellationToken)
    {
        CheckHostArguments(request.HostArguments);
        var configFile = Path.GetFullPath(request.Config.PathOf(request.ParseResult));
        CheckConfiguration(request, configFile);

        var store = request.StateStore.HostSettings(request.ParseResult);
        if (store.SqlitePath is { } path && Path.GetDirectoryName(path) is { } folder && !Directory.Exists(folder))
            throw new CliInputException($"The folder of the state file '{path}' does not exist. Create it, or pass --store PATH in an existing folder (serve creates the file itself).");

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [.. request.HostArguments] });
        // Last, so serve's own options win over appsettings.json, the environment and host arguments.
        builder.Configuration.AddInMemoryCollection(store.Settings).AddInMemoryCollection(ConfigFileOption.HostSettings(configFile));
        if (ListenUrls(request, builder.Configuration) is { } listen)
            builder.WebHost.UseUrls(listen);
        if (string.IsNullOrEmpty(builder.Configuration["shutdownTimeoutSeconds"]))
            builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = ShutdownTimeout);

        WebApplication app;
        try
        {
            app = PimBridgeHost.Build(builder, ShippedParts.Serve);
        }
        catch (Exception e) when (HostSettingsProblem(e) is { } problem)
        {
            throw new CliInputException(problem, e);
        }

        await using (app.ConfigureAwait(false))
        {
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (HostSettingsProblem(e) is { } problem)
            {
                throw new CliInputException(problem, e);
            }
            catch (IOException e) when (!cancellationToken.IsCancellationRequested)
            {
                // Kestrel could not bind: the port is taken, or the address is not this machine's.
                throw new CliInputException($"Could not listen: {e.Message} Choose another --port or --urls, or stop what is using it.", e);
            }

            var options = app.Services.GetRequiredService<IOptions<PimBridgeHostOptions>>().Value;
            var endpoints = $"events POST {options.EventsPath}, /healthz, /readyz{(options.Metrics.Enabled ? $", {options.Metrics.Path}" : "")}";
            await console.Error.WriteLineAsync(
                $"pimbridge serve: listening on {string.Join(", ", app.Urls)} ({endpoints}); store: {store.Describe}; configuration: {configFile}. Ctrl+C stops.").ConfigureAwait(false);
            await console.Error.FlushAsync(CancellationToken.None).ConfigureAwait(false);

            // Returns once the host has stopped: on the token, or on Ctrl+C/SIGTERM through the host's console lifetime.
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }

        await console.Error.WriteLineAsync("pimbridge serve: stopped.").ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>
    /// The engine configuration and the Entra section, checked as the host will compose them, every problem at once.
    /// The host itself would start anyway and report them on <c>/readyz</c>; a person starting it should see them now.
    /// </summary>
    private static void CheckConfiguration(ServeRequest request, string configFile)
    {
        var problems = new List<string>();
        try
        {
            request.Config.Load(request.ParseResult);
        }
        catch (CliInputException e) when (e.InnerException is ConfigurationException configuration)
        {
            problems.AddRange(configuration.Problems);
        }

        if (File.Exists(configFile))
        {
            try
            {
                problems.AddRange(EntraPart.LoadOptions(configFile, out _).Problems());
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or InvalidDataException)
            {
                problems.Add($"{CompositionSettings.EntraSection}: {e.Message}");
            }
        }

        if (problems.Count > 0)
        {
            var list = string.Join($"{Environment.NewLine}  - ", problems.Distinct());
            throw new CliInputException($"The configuration '{configFile}' is not usable:{Environment.NewLine}  - {list}{Environment.NewLine}Nothing was started; fix these and run serve again.");
        }
    }

    /// <summary>What serve listens on: --urls, --port, ASP.NET Core's own settings when present, else <see cref="DefaultUrl"/>.</summary>
    private static string? ListenUrls(ServeRequest request, IConfiguration configuration)
    {
        if (request.Port is { } port)
            return $"http://127.0.0.1:{port}";
        if (request.Urls is { } urls)
        {
            var list = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var bad = list.Where(u => !u.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !u.StartsWith("https://", StringComparison.OrdinalIgnoreCase)).ToList();
            if (list.Length == 0 || bad.Count > 0)
                throw new CliInputException($"--urls: '{urls}' is not a list of http:// or https:// URLs; write it like http://127.0.0.1:8080 or http://0.0.0.0:8080;https://0.0.0.0:8443.");
            return string.Join(';', list);
        }

        // An operator's (or a container image's) ASP.NET Core settings stand.
        return new[] { "urls", "http_ports", "https_ports" }.Any(key => !string.IsNullOrEmpty(configuration[key])) ? null : DefaultUrl;
    }

    /// <summary>
    /// Tokens serve does not know must be host settings (<c>--Section:Key=value</c>, <c>--Section:Key value</c> or
    /// <c>Section:Key=value</c>), so a mistyped option is an error instead of a setting nobody reads.
    /// </summary>
    private static void CheckHostArguments(IReadOnlyList<string> tokens)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var option = token.StartsWith("--", StringComparison.Ordinal) ? token[2..] : token.StartsWith('/') ? token[1..] : null;
            var text = option ?? token;
            var equals = text.IndexOf('=', StringComparison.Ordinal);
            var key = equals >= 0 ? text[..equals] : text;
            if ((option is null && equals < 0) || !IsHostSetting(key))
            {
                throw new CliInputException(
                    $"Unknown option or argument '{token}'. serve takes --config, --store, --dynamodb-table, --dynamodb-region, --urls and --port; host settings go as --Section:Key=value (for example --PimBridge:Host:Worker:PollInterval=00:00:10). Run 'pimbridge serve --help' for usage.");
            }

            if (option is not null && equals < 0)
            {
                if (i + 1 >= tokens.Count)
                    throw new CliInputException($"The host setting '{token}' has no value; write it as {token}=VALUE.");
                i++; // its value
            }
        }
    }

    private static bool IsHostSetting(string key) =>
        key.Length > 0 && (key.Contains(':', StringComparison.Ordinal) || key.Contains("__", StringComparison.Ordinal) || TopLevelHostSettings.Contains(key));

    /// <summary>The host's settings (<c>PimBridge:Host</c>) are wrong: the problems, with where to fix them.</summary>
    private static string? HostSettingsProblem(Exception error) => error switch
    {
        OptionsValidationException validation =>
            $"The host settings are not usable:{Environment.NewLine}  - {string.Join($"{Environment.NewLine}  - ", validation.Failures)}{Environment.NewLine}Fix them in appsettings.json, the environment (PimBridge__Host__…) or the --PimBridge:Host:… arguments.",
        InvalidOperationException when error.Message.Contains(nameof(BinderOptions.ErrorOnUnknownConfiguration), StringComparison.Ordinal) =>
            $"The host settings ({PimBridgeHostOptions.Section}) contain a key PimBridge does not know: {PimBridgeHostOptions.UnknownKeyProblem(error.Message)} Check its spelling against docs/host.md.",
        _ => null,
    };
}
