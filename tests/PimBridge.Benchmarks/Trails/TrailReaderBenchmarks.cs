using BenchmarkDotNet.Attributes;
using PimBridge.Core.Gaps;

namespace PimBridge.Benchmarks.Trails;

/// <summary>
/// <see cref="TrailRecordReader.ReadAsync"/> over one generated 20 MB trail file held in memory, gzip and plain, with
/// the watched grants' filter: the reader's own cost without disk, process start or the cold first pass. MB/s of JSON
/// is <see cref="FileBytes"/> divided by the mean. The whole-corpus comparison with the Python baseline is the
/// <c>trails</c> mode.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 5, iterationCount: 15)]
public class TrailReaderBenchmarks
{
    public const long FileBytes = 20 * TrailCorpus.MB;

    private byte[] _json = null!;
    private byte[] _gzip = null!;
    private TrailRecordFilter _filter = null!;

    [Params(true, false)]
    public bool Gzip { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (json, gzip, grants) = TrailCorpus.InMemory(20260701, FileBytes);
        _json = json;
        _gzip = gzip;
        _filter = new TrailWatchSet(grants).Filter;
    }

    [Benchmark]
    public async Task<int> ReadFile()
    {
        var stats = new TrailScanStats();
        using var stream = new MemoryStream(Gzip ? _gzip : _json, writable: false);
        var records = await TrailRecordReader.ReadAsync(stream, "bench.json.gz", _filter, stats);
        if (stats.DamagedFiles != 0 || stats.Records == 0) throw new InvalidOperationException("the generated file did not read cleanly");
        return records.Count;
    }
}
