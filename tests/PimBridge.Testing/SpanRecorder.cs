using System.Diagnostics;

namespace PimBridge.Testing;

/// <summary>
/// Records the spans one source produces inside this test: it opens a root span of its own and keeps only the spans
/// of that trace, so tests running in parallel (and their spans) do not mix.
/// </summary>
public sealed class SpanRecorder : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly Activity _root;
    private readonly List<Activity> _spans = [];

    public SpanRecorder(string sourceName)
    {
        ActivityTraceId? trace = null;
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == sourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = span =>
            {
                if (span.Source.Name == sourceName && span.TraceId == trace)
                    lock (_spans) _spans.Add(span);
            },
        };
        ActivitySource.AddActivityListener(_listener);
        _root = new Activity("test").SetIdFormat(ActivityIdFormat.W3C).Start();
        trace = _root.TraceId;
    }

    /// <summary>The finished spans, in the order they ended.</summary>
    public IReadOnlyList<Activity> Spans { get { lock (_spans) return [.. _spans]; } }

    public IReadOnlyList<Activity> Named(string name) => Spans.Where(s => s.OperationName == name).ToList();

    public void Dispose()
    {
        _root.Dispose();
        _listener.Dispose();
    }
}
