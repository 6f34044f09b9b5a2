using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using PimBridge.Core.Domain;
using PimBridge.Host.Metrics;
using PimBridge.Testing.Graph;
using static PimBridge.Host.Tests.HostHarness;

namespace PimBridge.Host.Tests;

/// <summary>
/// <c>GET /metrics</c>: the Prometheus text exposition of PimBridge's meters. The format tests use a meter of their
/// own; the host tests run alone (their collection is not parallelised) because the engine's meters are static, so
/// another test's grants would count in the same series.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsTests
{
    private static (Meter Meter, PrometheusMetrics Metrics) Private(IEnumerable<double>? buckets = null)
    {
        var meter = new Meter($"PimBridge.Tests.{Guid.NewGuid():N}");
        return (meter, new PrometheusMetrics(m => m == meter, buckets));
    }

    [Fact]
    public void Counters_are_summed_per_tag_set_named_with_their_unit_and_total_and_described()
    {
        var (meter, metrics) = Private();
        using (meter)
        using (metrics)
        {
            var counter = meter.CreateCounter<long>("pimbridge.test.requests", "{request}", "Requests served");
            counter.Add(2, new KeyValuePair<string, object?>("service", "sso-admin"), new KeyValuePair<string, object?>("code", "ThrottlingException"));
            counter.Add(3, new KeyValuePair<string, object?>("code", "ThrottlingException"), new KeyValuePair<string, object?>("service", "sso-admin"));
            counter.Add(1, new KeyValuePair<string, object?>("service", "identitystore"), new KeyValuePair<string, object?>("code", "ThrottlingException"));
            counter.Add(7);
            meter.CreateCounter<double>("pimbridge.test.bytes", "By").Add(1.5);

            Assert.Equal("""
                # TYPE pimbridge_test_bytes_total counter
                pimbridge_test_bytes_total 1.5
                # HELP pimbridge_test_requests_total Requests served
                # TYPE pimbridge_test_requests_total counter
                pimbridge_test_requests_total 7
                pimbridge_test_requests_total{code="ThrottlingException",service="identitystore"} 1
                pimbridge_test_requests_total{code="ThrottlingException",service="sso-admin"} 5

                """.Replace("\r\n", "\n", StringComparison.Ordinal), metrics.Render());
        }
    }

    [Fact]
    public void Histograms_export_cumulative_buckets_with_inclusive_bounds_a_sum_and_a_count()
    {
        var (meter, metrics) = Private(buckets: [1, 5]);
        using (meter)
        using (metrics)
        {
            var histogram = meter.CreateHistogram<double>("pimbridge.test.latency", "s", "Time to confirm");
            foreach (var value in new[] { 0.5, 1, 3, 10 })
                histogram.Record(value, new KeyValuePair<string, object?>("mapping", "ops"));
            histogram.Record(0.25, new KeyValuePair<string, object?>("mapping", "audit"));

            Assert.Equal("""
                # HELP pimbridge_test_latency_seconds Time to confirm
                # TYPE pimbridge_test_latency_seconds histogram
                pimbridge_test_latency_seconds_bucket{mapping="audit",le="1"} 1
                pimbridge_test_latency_seconds_bucket{mapping="audit",le="5"} 1
                pimbridge_test_latency_seconds_bucket{mapping="audit",le="+Inf"} 1
                pimbridge_test_latency_seconds_sum{mapping="audit"} 0.25
                pimbridge_test_latency_seconds_count{mapping="audit"} 1
                pimbridge_test_latency_seconds_bucket{mapping="ops",le="1"} 2
                pimbridge_test_latency_seconds_bucket{mapping="ops",le="5"} 3
                pimbridge_test_latency_seconds_bucket{mapping="ops",le="+Inf"} 4
                pimbridge_test_latency_seconds_sum{mapping="ops"} 14.5
                pimbridge_test_latency_seconds_count{mapping="ops"} 4

                """.Replace("\r\n", "\n", StringComparison.Ordinal), metrics.Render());
        }
    }

    [Fact]
    public void A_histogram_advising_its_buckets_gets_them_and_others_get_the_defaults()
    {
        var (meter, metrics) = Private();
        using (meter)
        using (metrics)
        {
            meter.CreateHistogram("pimbridge.test.advised", "ms", null, null, new InstrumentAdvice<double> { HistogramBucketBoundaries = [10, 100] }).Record(50);
            meter.CreateHistogram<double>("pimbridge.test.plain", "s").Record(0.007);

            var text = metrics.Render();

            Assert.Contains("pimbridge_test_advised_milliseconds_bucket{le=\"10\"} 0\npimbridge_test_advised_milliseconds_bucket{le=\"100\"} 1\npimbridge_test_advised_milliseconds_bucket{le=\"+Inf\"} 1\n", text);
            var plainBuckets = text.Split('\n').Where(l => l.StartsWith("pimbridge_test_plain_seconds_bucket", StringComparison.Ordinal)).ToList();
            Assert.Equal(PrometheusMetrics.DefaultBuckets.Count + 1, plainBuckets.Count);
            Assert.Equal("pimbridge_test_plain_seconds_bucket{le=\"0.005\"} 0", plainBuckets[0]);
            Assert.Equal("pimbridge_test_plain_seconds_bucket{le=\"0.01\"} 1", plainBuckets[1]);
        }
    }

    [Fact]
    public void Label_values_and_help_are_escaped_and_names_made_valid()
    {
        var (meter, metrics) = Private();
        using (meter)
        using (metrics)
        {
            meter.CreateCounter<int>("pimbridge.test/odd-name", null, "Line one\nC:\\path").Add(1,
                new KeyValuePair<string, object?>("user.name", "a \"quoted\" C:\\dir\nnext"),
                new KeyValuePair<string, object?>("2nd", 42),
                new KeyValuePair<string, object?>("ok", true),
                new KeyValuePair<string, object?>("none", null));

            Assert.Equal("""
                # HELP pimbridge_test_odd_name_total Line one\nC:\\path
                # TYPE pimbridge_test_odd_name_total counter
                pimbridge_test_odd_name_total{_2nd="42",none="",ok="true",user_name="a \"quoted\" C:\\dir\nnext"} 1

                """.Replace("\r\n", "\n", StringComparison.Ordinal), metrics.Render());
        }
    }

    [Fact]
    public void Up_down_counters_and_gauges_are_gauges_and_observables_are_read_at_each_scrape()
    {
        var (meter, metrics) = Private();
        using (meter)
        using (metrics)
        {
            var queue = meter.CreateUpDownCounter<long>("pimbridge.test.queue", "{intent}", "Intents waiting");
            queue.Add(5);
            queue.Add(-2);
            var reported = new List<Measurement<double>> { new(3, new KeyValuePair<string, object?>("store", "sqlite")) };
            meter.CreateObservableGauge("pimbridge.test.lag", () => reported, "s", "Lag");
            meter.CreateObservableCounter("pimbridge.test.reads", () => new Measurement<long>(10), description: "Reads so far");

            var first = metrics.Render();
            Assert.Contains("# TYPE pimbridge_test_queue gauge\npimbridge_test_queue 3\n", first);
            Assert.Contains("# TYPE pimbridge_test_lag_seconds gauge\npimbridge_test_lag_seconds{store=\"sqlite\"} 3\n", first);
            Assert.Contains("# TYPE pimbridge_test_reads_total counter\npimbridge_test_reads_total 10\n", first);

            reported = [new(double.PositiveInfinity, new KeyValuePair<string, object?>("store", "dynamodb"))];
            var second = metrics.Render();
            Assert.Contains("pimbridge_test_lag_seconds{store=\"dynamodb\"} +Inf\n", second);
            Assert.DoesNotContain("store=\"sqlite\"", second); // no longer reported: gone, not stale
            Assert.Contains("pimbridge_test_reads_total 10\n", second); // the observed total, not a sum of scrapes
        }
    }

    [Fact]
    public void Only_PimBridge_meters_are_exported_by_default_and_a_disposed_meter_stops_being_exported()
    {
        using var metrics = new PrometheusMetrics();
        using var other = new Meter($"Other.{Guid.NewGuid():N}");
        other.CreateCounter<long>("other.requests").Add(1);
        var ours = new Meter($"PimBridge.Tests.{Guid.NewGuid():N}");
        ours.CreateCounter<long>("pimbridge.test.disposable").Add(1);

        var text = metrics.Render();
        Assert.DoesNotContain("other_requests", text);
        Assert.Contains("pimbridge_test_disposable_total 1\n", text);

        ours.Dispose();
        Assert.DoesNotContain("pimbridge_test_disposable", metrics.Render());
    }

    [Fact]
    public void Metric_and_unit_names_follow_the_OpenTelemetry_Prometheus_conventions()
    {
        Assert.Equal("seconds", PrometheusText.UnitSuffix("s"));
        Assert.Equal("", PrometheusText.UnitSuffix("{alert}"));
        Assert.Equal("bytes_per_second", PrometheusText.UnitSuffix("By/s"));
        Assert.Equal("per_second", PrometheusText.UnitSuffix("{request}/s"));
        Assert.Equal("", PrometheusText.UnitSuffix("1"));
        Assert.Equal("NaN", PrometheusText.Number(double.NaN));
        Assert.Equal("-Inf", PrometheusText.Number(double.NegativeInfinity));
        Assert.Equal("1E-07", PrometheusText.Number(1e-7));
        Assert.Equal("_9lives", PrometheusText.LabelName("9lives"));
    }

    [Fact]
    public async Task The_endpoint_serves_the_text_format_and_can_be_moved_or_turned_off()
    {
        await using (var h = await StartAsync())
        {
            using var response = await h.Client.GetAsync(new Uri("/metrics", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        }

        await using (var h = await StartAsync(new Dictionary<string, string?> { ["Metrics:Path"] = "/internal/metrics" }))
        {
            Assert.Equal(HttpStatusCode.NotFound, (await h.Client.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await h.Client.GetAsync(new Uri("/internal/metrics", UriKind.Relative))).StatusCode);
        }

        await using (var h = await StartAsync(new Dictionary<string, string?> { ["Metrics:Enabled"] = "false" }))
            Assert.Equal(HttpStatusCode.NotFound, (await h.Client.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task A_grant_through_the_host_is_counted_from_event_to_lifted_fence()
    {
        await using var h = await StartAsync(new Dictionary<string, string?> { ["Worker:PollInterval"] = "00:00:00" });
        var before = await ScrapeAsync(h);

        h.Activate("alice-entra", OpsGroup, TimeSpan.FromMinutes(30));
        h.Activate("carol-entra", OpsGroup, TimeSpan.FromMinutes(30)); // no Identity Center user: an alert
        Assert.Equal(HttpStatusCode.OK, (await h.DeliverAsync(Payloads.GroupUpdatedCloudEvent(OpsGroup))).StatusCode);
        await h.StepUntilAsync(() => h.Aws.IsActive(AliceOpsProd));
        h.Clock.Advance(TimeSpan.FromMinutes(30));
        await h.StepUntilAsync(() => h.Store.ListFencesAsync(true).Result.Any(f => f.State == FenceState.Active));
        h.Clock.Advance(TimeSpan.FromHours(3)); // past the fence's until (cutoff margin 1 h + session 1 h + 15 min)
        await h.StepUntilAsync(() => h.Store.ListFencesAsync(false).Result.Any(f => f.State == FenceState.Lifted));

        var after = await ScrapeAsync(h);
        double Delta(string series) => Value(after, series) - Value(before, series);
        Assert.Equal(1, Delta("pimbridge_events_total{outcome=\"hinted\"}"));
        Assert.Equal(1, Delta("pimbridge_grants_started_total{mapping=\"ops-admin\"}"));
        Assert.Equal(1, Delta("pimbridge_grants_ended_total{mapping=\"ops-admin\",reason=\"expired\"}"));
        Assert.Equal(1, Delta("pimbridge_grant_processing_time_seconds_count"));
        Assert.Equal(1, Delta("pimbridge_grant_notification_delay_seconds_count"));
        Assert.Equal(1, Delta("pimbridge_fences_planned_total"));
        Assert.Equal(1, Delta("pimbridge_fences_activated_total"));
        Assert.Equal(1, Delta("pimbridge_fences_lifted_total"));
        Assert.Equal(1, Delta("pimbridge_enforcer_alerts_total{kind=\"unmapped-user\",severity=\"warning\"}"));
        // On the manual clock nothing time passed between the event and the confirmation: the first bucket holds it.
        Assert.Equal(1, Delta("pimbridge_grant_processing_time_seconds_bucket{le=\"0.005\"}"));
    }

    private static async Task<string> ScrapeAsync(HostHarness h)
    {
        using var response = await h.Client.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The value of one series (name and labels exactly as exported), 0 when it is not there yet.</summary>
    private static double Value(string exposition, string series)
    {
        var line = exposition.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics (the engine's meters are process-wide)";
}
