using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using PimBridge.Core.Telemetry;
using PimBridge.Host.Events;
using PimBridge.Testing;
using PimBridge.Testing.Graph;
using static PimBridge.Host.Tests.HostHarness;

namespace PimBridge.Host.Tests;

/// <summary>The host registers the OpenTelemetry SDK over PimBridge's sources and meters; OTLP only with an endpoint.</summary>
public sealed class OpenTelemetryTests
{
    private static ServiceCollection HostServices(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        PimBridgeHost.AddServices(services, configuration, (_, _) => throw new InvalidOperationException("not composed in this test"));
        return services;
    }

    [Fact]
    public void The_host_traces_and_meters_every_PimBridge_source_as_service_pimbridge()
    {
        var services = HostServices([]);
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        services.ConfigureOpenTelemetryTracerProvider(b => b.AddInMemoryExporter(spans));
        services.ConfigureOpenTelemetryMeterProvider(b => b.AddInMemoryExporter(metrics));
        using var provider = services.BuildServiceProvider();
        var tracing = provider.GetRequiredService<TracerProvider>();
        var metering = provider.GetRequiredService<MeterProvider>();
        var probe = $"probe-{Guid.NewGuid():N}";

        foreach (var name in PimBridgeTelemetry.SourceNames)
        {
            using var source = new ActivitySource(name);
            source.StartActivity(probe)?.Dispose();
            using var meter = new Meter(name);
            meter.CreateCounter<long>(probe).Add(1);
            metering.ForceFlush();
        }

        tracing.ForceFlush();
        Assert.Equal(["PimBridge.Aws", "PimBridge.Core", "PimBridge.Entra", "PimBridge.Host"],
            spans.Where(s => s.OperationName == probe).Select(s => s.Source.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["PimBridge.Aws", "PimBridge.Core", "PimBridge.Entra", "PimBridge.Host"],
            metrics.Where(m => m.Name == probe).Select(m => m.MeterName).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal("pimbridge", ServiceName(tracing));
    }

    [Fact]
    public void OTEL_SERVICE_NAME_names_the_service()
    {
        using var provider = HostServices(new() { ["OTEL_SERVICE_NAME"] = "pimbridge-eu" }).BuildServiceProvider();

        Assert.Equal("pimbridge-eu", ServiceName(provider.GetRequiredService<TracerProvider>()));
    }

    [Fact]
    public void Without_an_OTLP_endpoint_no_OTLP_exporter_is_registered()
    {
        Assert.False(RegistersOtlp(HostServices([])));
        Assert.False(RegistersOtlp(HostServices(new() { ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf", ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "" })));
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")]
    [InlineData("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")]
    [InlineData("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT")]
    public void An_OTLP_endpoint_registers_the_OTLP_exporter(string variable)
    {
        Assert.True(RegistersOtlp(HostServices(new() { [variable] = "http://collector.example:4318" })));
    }

    [Fact]
    public async Task An_event_delivery_is_one_span_on_the_hosts_source_counting_what_it_received_and_hinted()
    {
        await using var h = await StartAsync();
        using var spans = new SpanRecorder(PimBridgeTelemetry.Host);
        var batch = $"[{Payloads.GroupUpdatedCloudEvent(OpsGroup, "t-1")},{Payloads.GroupUpdatedCloudEvent(UnmappedGroup, "t-2")}]";

        await h.Services.GetRequiredService<EventIngestor>().IngestAsync(BinaryData.FromString(batch), CancellationToken.None);

        var span = Assert.Single(spans.Named("events.ingest"));
        Assert.Equal(ActivityKind.Internal, span.Kind);
        Assert.Equal(2, span.GetTagItem("pimbridge.events.received"));
        Assert.Equal(1, span.GetTagItem("pimbridge.events.hinted"));
    }

    /// <summary>Whether anything of the OTLP exporter's assembly is registered (its options, its exporters).</summary>
    private static bool RegistersOtlp(ServiceCollection services)
    {
        var otlp = typeof(OtlpExporterOptions).Assembly;
        return services.Any(d => Mentions(d.ServiceType) || Mentions(d.ImplementationType) || Mentions(d.ImplementationInstance?.GetType()));

        bool Mentions(Type? type) => type is not null && (type.Assembly == otlp || type.GetGenericArguments().Any(Mentions));
    }

    private static string? ServiceName(TracerProvider tracing) =>
        tracing.GetResource().Attributes.FirstOrDefault(a => a.Key == "service.name").Value as string;
}
