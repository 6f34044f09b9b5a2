using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using PimBridge.Core.Telemetry;

namespace PimBridge.Host.Telemetry;

/// <summary>
/// The OpenTelemetry SDK over PimBridge's sources and meters (<see cref="PimBridgeTelemetry.SourceNames"/>), for every
/// host built on <see cref="PimBridgeHost.AddServices"/>: <c>pimbridge serve</c> and the Functions app.
/// </summary>
internal static class OpenTelemetryWiring
{
    /// <summary>The service's name unless <c>OTEL_SERVICE_NAME</c> (or <c>service.name</c> in <c>OTEL_RESOURCE_ATTRIBUTES</c>) says otherwise.</summary>
    public const string DefaultServiceName = "pimbridge";

    /// <summary>The variables any of which turns OTLP export on.</summary>
    public static IReadOnlyList<string> EndpointVariables { get; } =
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
    ];

    public static OpenTelemetryBuilder AddPimBridgeTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var builder = services.AddOpenTelemetry()
            // The environment detector again after the default name, so OTEL_SERVICE_NAME still wins, as the standard says.
            .ConfigureResource(resource => resource.AddService(DefaultServiceName).AddEnvironmentVariableDetector())
            .WithTracing(tracing => tracing.AddSource([.. PimBridgeTelemetry.SourceNames]))
            .WithMetrics(metrics => metrics.AddMeter([.. PimBridgeTelemetry.SourceNames]));
        // Only with an endpoint: the exporter's default (localhost:4317) would be retried for ever on a host without a
        // collector. UseOtlpExporter reads the rest of OTEL_EXPORTER_OTLP_* (protocol, headers, the signal-specific ones).
        if (ExportsOtlp(configuration))
            builder.UseOtlpExporter();
        return builder;
    }

    /// <summary>Whether an OTLP endpoint is configured, for any signal.</summary>
    public static bool ExportsOtlp(IConfiguration configuration) =>
        EndpointVariables.Any(variable => !string.IsNullOrWhiteSpace(configuration[variable]));
}
