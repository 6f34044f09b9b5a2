using System.Diagnostics;
using System.Diagnostics.Metrics;
using PimBridge.Core.Telemetry;

namespace PimBridge.Host.Events;

/// <summary>What happened to received events, counted in-process and exported as <c>pimbridge.events</c> (tag <c>outcome</c>).</summary>
public sealed class IngestionCounters
{
    internal static readonly Meter Meter = new(PimBridgeTelemetry.Host);

    /// <summary>The host's spans, beside its meter.</summary>
    internal static readonly ActivitySource Tracing = new(PimBridgeTelemetry.Host);
    private static readonly Counter<long> Events = Meter.CreateCounter<long>("pimbridge.events", description: "Event Grid events received, by outcome");

    private readonly long[] _counts = new long[Enum.GetValues<EventOutcome>().Length];

    /// <summary>Group changes on mapped groups recorded as hints.</summary>
    public long Hinted => Get(EventOutcome.Hinted);

    /// <summary>Events skipped as already handled.</summary>
    public long Duplicates => Get(EventOutcome.Duplicate);

    /// <summary>Group changes on groups no mapping watches.</summary>
    public long Unmapped => Get(EventOutcome.Unmapped);

    /// <summary>Events of types PimBridge does not act on (user changes, deleted Event Grid subscriptions, others).</summary>
    public long Ignored => Get(EventOutcome.Ignored);

    /// <summary>Events refused: wrong or missing clientState, no group or subscription id.</summary>
    public long Rejected => Get(EventOutcome.Rejected);

    /// <summary>Lifecycle notifications acted on.</summary>
    public long Lifecycle => Get(EventOutcome.Lifecycle);

    private long Get(EventOutcome outcome) => Interlocked.Read(ref _counts[(int)outcome]);

    internal void Count(EventOutcome outcome)
    {
        Interlocked.Increment(ref _counts[(int)outcome]);
        Events.Add(1, new KeyValuePair<string, object?>("outcome", outcome.ToString().ToLowerInvariant()));
    }
}
