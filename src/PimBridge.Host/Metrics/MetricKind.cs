namespace PimBridge.Host.Metrics;

/// <summary>How an instrument is exported.</summary>
internal enum MetricKind
{
    /// <summary>A monotonic sum: <c>Counter</c>, <c>ObservableCounter</c>.</summary>
    Counter,

    /// <summary>A value that goes up and down: up-down counters (summed) and gauges (last value).</summary>
    Gauge,

    /// <summary>A distribution: <c>Histogram</c>.</summary>
    Histogram,
}
