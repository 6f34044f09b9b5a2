using BenchmarkDotNet.Attributes;

namespace PimBridge.Benchmarks;

/// <summary>
/// Event Grid deliveries through the host's endpoint into durable hints: the real host in-process
/// (WebApplicationFactory, the worker off), shared-secret authentication, a real Enforcer over a SQLite file (WAL,
/// synchronous=FULL) in a temporary folder. Each invocation POSTs one <c>application/cloudevents-batch+json</c>
/// request of <see cref="EventsPerBatch"/> Microsoft.Graph.GroupUpdated CloudEvents with distinct ids, spread over
/// <see cref="GroupsPerBatch"/> mapped groups (two events per group), and returns when the host has answered 200, that
/// is when every hint is durable. BenchmarkDotNet reports the time per event (OperationsPerInvoke); events/second is
/// one second divided by it.
/// </summary>
/// <remarks>
/// A group whose reconcile is already queued takes no new hint. With <see cref="GroupsQueued"/> false, the case that
/// writes: every invocation of an iteration gets 50 groups of its own, and the iteration setup (not measured) marks
/// the previous iteration's hints done, as the worker would, after checking that each delivery wrote exactly one hint
/// per group. Each batch then commits 50 hints (one SQLite transaction each) and finds its other 50 events' groups
/// queued already. With <see cref="GroupsQueued"/> true, every group is queued before the run and stays so: no batch
/// writes anything, which isolates the cost of receiving, authenticating, parsing and checking a delivery.
/// The warm-up is long on purpose: tiered compilation with dynamic PGO keeps speeding the path up for the first
/// 30,000 to 45,000 events (about 300 to 450 batches), and a running host is past that.
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 20, iterationCount: 20)]
[InvocationCount(InvocationsPerIteration, unrollFactor: 1)]
public class EventIngestionBenchmarks
{
    public const int EventsPerBatch = 100;
    public const int GroupsPerBatch = 50;
    private const int InvocationsPerIteration = 32;

    private IngestionHost _host = null!;
    private readonly byte[][] _batches = new byte[InvocationsPerIteration][];
    private int _iteration;
    private int _next;

    /// <summary>Whether every group's reconcile is queued already (no hint to write).</summary>
    [Params(false, true)]
    public bool GroupsQueued { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _host = await IngestionHost.StartAsync(GroupsPerBatch * InvocationsPerIteration);

        // One checked delivery per slot first: every event hinted, one hint written per group.
        for (var k = 0; k < InvocationsPerIteration; k++)
        {
            var answer = await _host.DeliverAsync(IngestionHost.Batch($"check-{k:x2}", EventsPerBatch, GroupsOf(k)));
            if (!answer.Contains($"\"hinted\":{EventsPerBatch},", StringComparison.Ordinal))
                throw new InvalidOperationException($"The check delivery was not hinted whole: {answer}");
        }

        var written = GroupsQueued ? (await _host.PendingHintsAsync()).Count : await _host.CompletePendingHintsAsync();
        if (written != GroupsPerBatch * InvocationsPerIteration)
            throw new InvalidOperationException($"The check deliveries wrote {written} hints, not {GroupsPerBatch * InvocationsPerIteration}.");
    }

    [IterationSetup]
    public void IterationSetup()
    {
        // Not measured: check what the last iteration's deliveries wrote, let the worker's part happen, build the bodies.
        if (GroupsQueued)
        {
            var pending = _host.PendingHintsAsync().GetAwaiter().GetResult().Count;
            if (pending != GroupsPerBatch * InvocationsPerIteration)
                throw new InvalidOperationException($"{pending} hints are pending, not {GroupsPerBatch * InvocationsPerIteration}.");
        }
        else
        {
            var written = _host.CompletePendingHintsAsync().GetAwaiter().GetResult();
            if (written != _next * GroupsPerBatch)
                throw new InvalidOperationException($"The last iteration's {_next} deliveries wrote {written} hints, not {_next * GroupsPerBatch}.");
        }

        _iteration++;
        for (var k = 0; k < InvocationsPerIteration; k++)
            _batches[k] = IngestionHost.Batch($"{_iteration:x6}-{k:x2}-{Guid.NewGuid():N}", EventsPerBatch, GroupsOf(k));
        _next = 0;
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _host.DisposeAsync();

    /// <summary>One delivery of 100 events, answered 200; reported per event.</summary>
    [Benchmark(OperationsPerInvoke = EventsPerBatch)]
    public Task<string> DeliverBatch() => _host.DeliverAsync(_batches[_next++]);

    private List<string> GroupsOf(int slot) => _host.Groups.Skip(slot * GroupsPerBatch).Take(GroupsPerBatch).ToList();
}
