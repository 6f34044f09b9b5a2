using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace PimBridge.Host.Metrics;

/// <summary>
/// PimBridge's instruments (<c>System.Diagnostics.Metrics</c>, every meter whose name starts with <c>PimBridge</c>)
/// aggregated in process and rendered in the Prometheus text exposition format 0.0.4, for <c>GET /metrics</c>. The
/// project's own, not OpenTelemetry's Prometheus exporter, which is published only as a beta (docs/host.md); the
/// OpenTelemetry SDK (OTLP) and <c>dotnet-counters</c> read the same meters.
/// </summary>
/// <remarks>
/// Counters are summed per tag set; up-down counters too, exported as gauges; histograms keep a count, a sum and
/// fixed buckets (the instrument's advice, else <see cref="DefaultBuckets"/>); observable instruments are read at each
/// scrape. Everything counts from when this object was created: create it when the host starts.
/// </remarks>
internal sealed class PrometheusMetrics : IDisposable
{
    /// <summary>The content type of the text exposition format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The prefix of the meters exported by default.</summary>
    public const string MeterPrefix = "PimBridge";

    /// <summary>
    /// Bucket upper bounds for histograms without advice, in the instrument's unit. PimBridge's histograms are in
    /// seconds and span a few milliseconds (a confirmed assignment) to an hour (a notification Graph held back).
    /// </summary>
    public static readonly IReadOnlyList<double> DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentSeries> _instruments = new();
    private readonly Func<Meter, bool> _include;
    private readonly double[] _buckets;
    private readonly Lock _scrape = new();

    /// <param name="include">Which meters to export; default: those whose name starts with <see cref="MeterPrefix"/>.</param>
    /// <param name="buckets">Histogram bucket upper bounds for instruments without advice; default <see cref="DefaultBuckets"/>.</param>
    public PrometheusMetrics(Func<Meter, bool>? include = null, IEnumerable<double>? buckets = null)
    {
        _include = include ?? (meter => meter.Name.StartsWith(MeterPrefix, StringComparison.Ordinal));
        _buckets = CheckBuckets(buckets ?? DefaultBuckets);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (_include(instrument.Meter) && InstrumentSeries.KindOf(instrument) is { } kind)
                listener.EnableMeasurementEvents(instrument, _instruments.GetOrAdd(instrument, i => new InstrumentSeries(i, kind, AdvisedBuckets(i) ?? _buckets)));
        };
        // A disposed meter's instruments stop being exported.
        _listener.MeasurementsCompleted = (instrument, _) => _instruments.TryRemove(instrument, out InstrumentSeries? _);
        _listener.SetMeasurementEventCallback<byte>((i, value, tags, state) => Record(state, value, tags));
        _listener.SetMeasurementEventCallback<short>((i, value, tags, state) => Record(state, value, tags));
        _listener.SetMeasurementEventCallback<int>((i, value, tags, state) => Record(state, value, tags));
        _listener.SetMeasurementEventCallback<long>((i, value, tags, state) => Record(state, value, tags));
        _listener.SetMeasurementEventCallback<float>((i, value, tags, state) => Record(state, value, tags));
        _listener.SetMeasurementEventCallback<double>((i, value, tags, state) => Record(state, value, tags));
        _listener.SetMeasurementEventCallback<decimal>((i, value, tags, state) => Record(state, (double)value, tags));
        _listener.Start();
    }

    /// <summary>Reads the observable instruments and renders every exported metric.</summary>
    public string Render()
    {
        var text = new StringBuilder();
        lock (_scrape)
        {
            // Observable instruments report their current values: forget the last scrape's, so a tag set the callback
            // no longer reports disappears instead of repeating a stale value.
            foreach (var series in _instruments.Values.Where(s => s.Instrument.IsObservable))
                series.Clear();
            _listener.RecordObservableInstruments();

            var families = new SortedDictionary<string, Family>(StringComparer.Ordinal);
            foreach (var series in _instruments.Values.OrderBy(s => s.Instrument.Meter.Name, StringComparer.Ordinal).ThenBy(s => s.Instrument.Name, StringComparer.Ordinal))
            {
                var name = PrometheusText.MetricName(series.Instrument.Name, series.Instrument.Unit, series.Kind);
                if (!families.TryGetValue(name, out var family))
                    families[name] = family = new Family(name, series.Kind, series.Instrument.Description, series.Buckets);
                family.Add(series);
            }

            foreach (var family in families.Values)
                family.WriteTo(text);
        }

        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private static void Record<T>(object? state, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags) where T : struct, IConvertible =>
        (state as InstrumentSeries)?.Record(value.ToDouble(CultureInfo.InvariantCulture), tags);

    private static double[]? AdvisedBuckets(Instrument instrument) => instrument switch
    {
        Histogram<double> { Advice.HistogramBucketBoundaries: { } bounds } => TryBuckets(bounds),
        Histogram<float> { Advice.HistogramBucketBoundaries: { } bounds } => TryBuckets(bounds.Select(b => (double)b)),
        Histogram<long> { Advice.HistogramBucketBoundaries: { } bounds } => TryBuckets(bounds.Select(b => (double)b)),
        Histogram<int> { Advice.HistogramBucketBoundaries: { } bounds } => TryBuckets(bounds.Select(b => (double)b)),
        _ => null,
    };

    private static double[]? TryBuckets(IEnumerable<double> bounds)
    {
        try
        {
            return CheckBuckets(bounds);
        }
        catch (ArgumentException)
        {
            return null; // unusable advice: the default buckets serve
        }
    }

    private static double[] CheckBuckets(IEnumerable<double> bounds)
    {
        var list = bounds.ToArray();
        if (list.Length == 0 || list.Any(b => !double.IsFinite(b)) || list.Zip(list.Skip(1)).Any(p => p.First >= p.Second))
            throw new ArgumentException("Histogram buckets must be finite, strictly increasing upper bounds, at least one.", nameof(bounds));
        return list;
    }

    /// <summary>Every metric of one Prometheus name: the series of one or more instruments (same name in several meters).</summary>
    private sealed class Family(string name, MetricKind kind, string? description, double[] buckets)
    {
        private readonly SortedDictionary<string, Series> _series = new(StringComparer.Ordinal);

        public void Add(InstrumentSeries instrument)
        {
            // Instruments that render to the same name but cannot be merged (another kind, other buckets) are left out
            // rather than writing a family Prometheus would reject.
            if (instrument.Kind != kind || (kind == MetricKind.Histogram && !instrument.Buckets.AsSpan().SequenceEqual(buckets)))
                return;
            foreach (var series in instrument.Snapshot())
            {
                if (_series.TryGetValue(series.Key, out var existing)) existing.MergeFrom(series);
                else _series[series.Key] = series;
            }
        }

        public void WriteTo(StringBuilder text)
        {
            if (_series.Count == 0) return;
            if (!string.IsNullOrEmpty(description))
                text.Append("# HELP ").Append(name).Append(' ').Append(PrometheusText.EscapeHelp(description)).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(kind switch
            {
                MetricKind.Counter => "counter",
                MetricKind.Histogram => "histogram",
                _ => "gauge",
            }).Append('\n');
            foreach (var series in _series.Values)
            {
                if (kind != MetricKind.Histogram)
                {
                    Sample(text, name, series.Labels, null, PrometheusText.Number(series.Value));
                    continue;
                }

                long cumulative = 0;
                for (var i = 0; i < buckets.Length; i++)
                {
                    cumulative += series.BucketCounts![i];
                    Sample(text, name + "_bucket", series.Labels, PrometheusText.Number(buckets[i]), cumulative.ToString(CultureInfo.InvariantCulture));
                }

                Sample(text, name + "_bucket", series.Labels, "+Inf", series.Count.ToString(CultureInfo.InvariantCulture));
                Sample(text, name + "_sum", series.Labels, null, PrometheusText.Number(series.Value));
                Sample(text, name + "_count", series.Labels, null, series.Count.ToString(CultureInfo.InvariantCulture));
            }
        }

        private static void Sample(StringBuilder text, string name, IReadOnlyList<KeyValuePair<string, string>> labels, string? le, string value)
        {
            text.Append(name);
            if (labels.Count > 0 || le is not null)
            {
                text.Append('{');
                var first = true;
                foreach (var (label, labelValue) in labels)
                {
                    if (!first) text.Append(',');
                    text.Append(label).Append("=\"").Append(PrometheusText.EscapeLabelValue(labelValue)).Append('"');
                    first = false;
                }

                if (le is not null)
                    text.Append(first ? "" : ",").Append("le=\"").Append(le).Append('"');
                text.Append('}');
            }

            text.Append(' ').Append(value).Append('\n');
        }
    }

    /// <summary>One instrument's aggregated series, one per tag set. Measurements arrive on any thread.</summary>
    internal sealed class InstrumentSeries(Instrument instrument, MetricKind kind, double[] buckets)
    {
        private readonly Dictionary<string, Series> _series = new(StringComparer.Ordinal);
        private readonly Lock _gate = new();

        // Observable instruments and gauges report the current value, which replaces the previous one.
        private readonly bool _lastValue = instrument.IsObservable || IsGauge(instrument);

        public Instrument Instrument { get; } = instrument;

        public MetricKind Kind { get; } = kind;

        public double[] Buckets { get; } = buckets;

        public static MetricKind? KindOf(Instrument instrument)
        {
            if (!instrument.GetType().IsGenericType) return null;
            var type = instrument.GetType().GetGenericTypeDefinition();
            if (type == typeof(Counter<>) || type == typeof(ObservableCounter<>)) return MetricKind.Counter;
            if (type == typeof(Histogram<>)) return MetricKind.Histogram;
            if (type == typeof(UpDownCounter<>) || type == typeof(ObservableUpDownCounter<>) || IsGauge(instrument)) return MetricKind.Gauge;
            return null;
        }

        private static bool IsGauge(Instrument instrument) =>
            instrument.GetType().IsGenericType && instrument.GetType().GetGenericTypeDefinition() is var type && (type == typeof(ObservableGauge<>) || type == typeof(Gauge<>));

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (double.IsNaN(value) || (Kind == MetricKind.Counter && !_lastValue && value < 0))
                return; // a counter only goes up; NaN would poison the sum
            var labels = PrometheusText.Labels(tags);
            if (Kind == MetricKind.Histogram && labels.Any(l => l.Key == "le"))
                labels = labels.Where(l => l.Key != "le").ToList(); // le is the bucket's label
            var key = Series.KeyOf(labels);
            lock (_gate)
            {
                if (!_series.TryGetValue(key, out var series))
                    _series[key] = series = new Series(key, labels, Kind == MetricKind.Histogram ? Buckets.Length : -1);
                if (Kind == MetricKind.Histogram)
                {
                    var bucket = Array.BinarySearch(Buckets, value);
                    bucket = bucket >= 0 ? bucket : ~bucket; // le is inclusive: a value on a bound counts in that bucket
                    if (bucket < Buckets.Length) series.BucketCounts![bucket]++;
                    series.Value += value;
                    series.Count++;
                }
                else if (_lastValue)
                {
                    series.Value = value;
                }
                else
                {
                    series.Value += value;
                }
            }
        }

        public void Clear()
        {
            lock (_gate) _series.Clear();
        }

        /// <summary>Copies of the series, consistent with each other.</summary>
        public List<Series> Snapshot()
        {
            lock (_gate) return _series.Values.Select(s => s.Copy()).ToList();
        }
    }

    /// <summary>One tag set's value (or, for a histogram, sum, count and per-bucket counts, the last for values above every bound).</summary>
    internal sealed class Series(string key, IReadOnlyList<KeyValuePair<string, string>> labels, int buckets)
    {
        public string Key { get; } = key;

        public IReadOnlyList<KeyValuePair<string, string>> Labels { get; } = labels;

        public double Value { get; set; }

        public long Count { get; set; }

        public long[]? BucketCounts { get; private init; } = buckets >= 0 ? new long[buckets] : null;

        public static string KeyOf(IReadOnlyList<KeyValuePair<string, string>> labels) =>
            string.Join('\u0001', labels.Select(l => $"{l.Key}\u0002{l.Value}"));

        public Series Copy() => new(Key, Labels, -1) { Value = Value, Count = Count, BucketCounts = (long[]?)BucketCounts?.Clone() };

        public void MergeFrom(Series other)
        {
            Value += other.Value;
            Count += other.Count;
            if (BucketCounts is null || other.BucketCounts is null) return;
            for (var i = 0; i < BucketCounts.Length; i++) BucketCounts[i] += other.BucketCounts[i];
        }
    }
}
