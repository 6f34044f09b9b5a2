using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PimBridge.Core.Ports;
using PimBridge.Host.Events;
using PimBridge.Host.Metrics;
using PimBridge.Host.Security;
using PimBridge.Host.Telemetry;
using PimBridge.Host.Worker;

namespace PimBridge.Host;

/// <summary>
/// The one wiring of PimBridge's web host, shared by <c>pimbridge serve</c> and the Azure Functions app:
/// <c>PimBridgeHost.Build(builder, inputs).RunAsync()</c>, over the engine <see cref="ComposedEngine.ComposeAsync"/>
/// composes from the host's configuration. The Functions app registers the same services (<see cref="AddServices"/>)
/// and serves them as functions.
/// </summary>
public static class PimBridgeHost
{
    /// <summary>
    /// Registers the host's services, options (<see cref="PimBridgeHostOptions.Section"/>), the enforcement worker and
    /// every endpoint, builds the application, and returns it ready to run. Anything registered on
    /// <paramref name="builder"/> before (a <see cref="TimeProvider"/>, an <see cref="ISigningKeySource"/>) is kept.
    /// </summary>
    /// <param name="compose">Composes the engine, its store and the Graph subscriptions, on first use (see <see cref="LazyComposedEngine"/>).</param>
    public static WebApplication Build(WebApplicationBuilder builder, Func<IServiceProvider, CancellationToken, Task<ComposedEngine>> compose)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddServices(builder.Services, builder.Configuration, compose);
        var app = builder.Build();
        var options = app.Services.GetRequiredService<IOptions<PimBridgeHostOptions>>().Value;
        app.MapMethods(options.EventsPath, [HttpMethods.Options], EventsEndpoint.Handshake);
        app.MapPost(options.EventsPath, EventsEndpoint.DeliverAsync);
        app.MapGet("/healthz", () => Results.Json(new JsonObject { ["status"] = "up" }));
        app.MapGet("/readyz", ReadyAsync);
        if (options.Metrics.Enabled)
        {
            // Created now, not on the first scrape: the counters count from the host's start.
            app.Services.GetRequiredService<PrometheusMetrics>();
            app.MapGet(options.Metrics.Path, MetricsEndpoint.ScrapeAsync);
        }

        return app;
    }

    /// <summary>
    /// Registers what <see cref="Build(WebApplicationBuilder, Func{IServiceProvider, CancellationToken, Task{ComposedEngine}})"/>
    /// runs, without the endpoints: the options, the composition, the webhook's authentication and ingestion, the
    /// background workers, and OpenTelemetry (<see cref="OpenTelemetryWiring"/>). The Functions app
    /// (PimBridge.Functions) registers the same, and serves functions instead.
    /// </summary>
    public static void AddServices(IServiceCollection services, IConfiguration configuration, Func<IServiceProvider, CancellationToken, Task<ComposedEngine>> compose)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(compose);
        // Unknown settings are errors, as in the engine's configuration: a misspelt secret must not silently fall back.
        services.AddOptions<PimBridgeHostOptions>()
            .Bind(configuration.GetSection(PimBridgeHostOptions.Section), binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PimBridgeHostOptions>, PimBridgeHostOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new LazyComposedEngine(sp, compose, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp =>
        {
            var dedupe = sp.GetRequiredService<IOptions<PimBridgeHostOptions>>().Value.Dedupe;
            return new EventDeduplicator(sp.GetRequiredService<TimeProvider>(), dedupe.Ttl, dedupe.Capacity);
        });
        services.AddSingleton<IngestionCounters>();
        services.AddSingleton<WorkerSignal>();
        services.AddSingleton<EventIngestor>();
        services.AddSingleton(sp => new DeliveryAuthenticator(
            sp.GetRequiredService<IOptions<PimBridgeHostOptions>>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<ISigningKeySource>()));
        services.AddSingleton<EnforcementWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<EnforcementWorker>());
        services.AddSingleton<GapWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<GapWorker>());
        services.AddSingleton<DriftSweepWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<DriftSweepWorker>());
        services.TryAddSingleton(_ => new PrometheusMetrics());
        services.AddPimBridgeTelemetry(configuration);
    }

    /// <summary>
    /// The same, composing from the host's configuration with what <paramref name="inputs"/> ships (its stores, the
    /// Entra part). A PIM source and subscriptions registered as services are used instead of the Entra part's.
    /// </summary>
    public static WebApplication Build(WebApplicationBuilder builder, ComposedEngineInputs inputs) => Build(builder, ComposeFrom(inputs));

    /// <summary>
    /// Composes from the host's configuration with what <paramref name="inputs"/> ships; a PIM source and subscriptions
    /// registered as services are used instead of the Entra part's (tests, other hosts).
    /// </summary>
    public static Func<IServiceProvider, CancellationToken, Task<ComposedEngine>> ComposeFrom(ComposedEngineInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return (services, cancellationToken) => ComposedEngine.ComposeAsync(
            services.GetRequiredService<IConfiguration>(), services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILoggerFactory>(),
            inputs with { Pim = services.GetService<IPimSource>() ?? inputs.Pim, Subscriptions = services.GetService<IGraphSubscriptions>() ?? inputs.Subscriptions },
            cancellationToken);
    }

    /// <summary>The same, over an engine composed already.</summary>
    public static WebApplication Build(WebApplicationBuilder builder, ComposedEngine engine) =>
        Build(builder, (_, _) => Task.FromResult(engine));

    /// <summary>
    /// Ready when the components are composed, deliveries can be accepted and acted on (see <see cref="DeliveryProblem"/>),
    /// and the store answers a read.
    /// </summary>
    private static async Task<IResult> ReadyAsync(LazyComposedEngine components, IOptions<PimBridgeHostOptions> options, HttpContext context)
    {
        try
        {
            var parts = await components.GetAsync(context.RequestAborted).ConfigureAwait(false);
            if (DeliveryProblem(options.Value, parts.Subscriptions) is { } problem)
                return Results.Json(new JsonObject { ["status"] = "not ready", ["reason"] = problem }, statusCode: StatusCodes.Status503ServiceUnavailable);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await parts.Store.GetAuditHeadAsync(timeout.Token).ConfigureAwait(false);
            return Results.Json(new JsonObject { ["status"] = "ready" });
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            var reason = ex is ComponentsUnavailableException ? ex.Message : $"the state store is not reachable: {ex.Message}";
            return Results.Json(new JsonObject { ["status"] = "not ready", ["reason"] = reason }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    /// <summary>Settings under which the webhook would refuse or drop every delivery, named with the fix; null when none.</summary>
    internal static string? DeliveryProblem(PimBridgeHostOptions options, IGraphSubscriptions? subscriptions)
    {
        if (options.MissingDeliveryAuthentication is { } missing)
            return $"{missing} (every Event Grid delivery is refused with 401 until one is).";
        return subscriptions?.ClientState is { Length: > 0 }
            ? null
            : "no clientState to check Graph notifications against, so every group notification is dropped: set Entra.Subscriptions.ClientState in the engine configuration.";
    }
}
