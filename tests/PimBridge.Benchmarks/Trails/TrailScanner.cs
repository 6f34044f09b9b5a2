using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using PimBridge.Core.Gaps;

namespace PimBridge.Benchmarks.Trails;

/// <summary>What one scan process measured; the C# child and the Python baseline print the same shape.</summary>
public sealed record TrailScanResult
{
    public long Files { get; init; }
    public long Records { get; init; }
    public long Candidates { get; init; }
    public long Matches { get; init; }
    public long Malformed { get; init; }
    public long Bytes { get; init; }

    /// <summary>Seconds of each pass over the files (Python makes one).</summary>
    public double[] Seconds { get; init; } = [];

    /// <summary>CPU seconds the process used in each pass (all its threads: with one CPU allowed, the core's time).</summary>
    public double[] CpuSeconds { get; init; } = [];

    public long PeakRssBytes { get; init; }
    public long PeakGcHeapBytes { get; init; }
    public long AllocatedBytesPerPass { get; init; }
    public int Gen0Collections { get; init; }
    public int Gen2Collections { get; init; }
    public int ProcessorCount { get; init; }
    public string Runtime { get; init; } = "";
}

/// <summary>
/// The C# side of the trail benchmark, run in a child process (<c>trails-scan</c>) so that its peak memory is the
/// scanner's alone, not the generator's or the parent's: <see cref="TrailRecordReader.ReadAsync"/> over every file,
/// one after the other on one thread, with the watched grants' <see cref="TrailRecordFilter"/>; the records it returns
/// go through the gap rule (<see cref="TrailWatchSet.Matches"/>). Prints one JSON <see cref="TrailScanResult"/>.
/// </summary>
public static class TrailScanner
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? watchPath = null;
        var passes = 1;
        var paths = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--watch": watchPath = args[++i]; break;
                case "--passes": passes = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: paths.Add(args[i]); break;
            }
        }

        if (watchPath is null || paths.Count == 0 || passes < 1)
        {
            Console.Error.WriteLine("usage: trails-scan --watch watch.json [--passes N] PATH...");
            return 2;
        }

        var watch = TrailWatchSet.Load(watchPath);
        var files = paths.SelectMany(p => Directory.Exists(p)
                ? Directory.EnumerateFiles(p, "*.json.gz", SearchOption.AllDirectories)
                : [p])
            .Order(StringComparer.Ordinal)
            .ToList();

        using var sampler = new HeapSampler();
        var seconds = new double[passes];
        var cpuSeconds = new double[passes];
        using var self = Process.GetCurrentProcess();
        TrailScanStats? stats = null;
        long matches = 0;
        long allocated = 0;
        var gen0 = GC.CollectionCount(0);
        var gen2 = GC.CollectionCount(2);
        for (var pass = 0; pass < passes; pass++)
        {
            stats = new TrailScanStats();
            matches = 0;
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            self.Refresh();
            var cpuBefore = self.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            foreach (var file in files)
            {
                await using var stream = File.OpenRead(file);
                var records = await TrailRecordReader.ReadAsync(stream, file, watch.Filter, stats);
                foreach (var record in records)
                    if (watch.Matches(record)) matches++;
            }

            seconds[pass] = clock.Elapsed.TotalSeconds;
            self.Refresh();
            cpuSeconds[pass] = (self.TotalProcessorTime - cpuBefore).TotalSeconds;
            allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  C# pass {pass + 1}/{passes}: {stats.Records:N0} records, {stats.Bytes / 1e6:N0} MB in {seconds[pass]:0.00} s ({stats.Bytes / 1e6 / seconds[pass]:0} MB/s), CPU {cpuSeconds[pass]:0.00} s ({stats.Bytes / 1e6 / cpuSeconds[pass]:0} MB/s)"));
        }

        if (stats!.DamagedFiles > 0)
            Console.Error.WriteLine($"  damaged files: {string.Join("; ", stats.Problems)}");

        var result = new TrailScanResult
        {
            Files = stats.Files,
            Records = stats.Records,
            Candidates = stats.Candidates,
            Matches = matches,
            Malformed = stats.MalformedRecords,
            Bytes = stats.Bytes,
            Seconds = seconds,
            CpuSeconds = cpuSeconds,
            PeakRssBytes = PeakRss(),
            PeakGcHeapBytes = sampler.Stop(),
            AllocatedBytesPerPass = allocated,
            Gen0Collections = GC.CollectionCount(0) - gen0,
            Gen2Collections = GC.CollectionCount(2) - gen2,
            ProcessorCount = Environment.ProcessorCount,
            Runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
        };
        Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        return 0;
    }

    /// <summary>The process's peak resident set (VmHWM), or the current working set where /proc is missing.</summary>
    public static long PeakRss()
    {
        if (File.Exists("/proc/self/status"))
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                var kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }

        return Environment.WorkingSet;
    }

    /// <summary>Samples the GC heap (bytes in use, without forcing a collection) every few milliseconds; keeps the peak.</summary>
    private sealed class HeapSampler : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;
        private long _peak;

        public HeapSampler()
        {
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    Sample();
                    Thread.Sleep(5);
                }
            }) { IsBackground = true, Name = "heap sampler" };
            _thread.Start();
        }

        private void Sample()
        {
            var now = GC.GetTotalMemory(forceFullCollection: false);
            if (now > Interlocked.Read(ref _peak)) Interlocked.Exchange(ref _peak, now);
        }

        public long Stop()
        {
            _stop = true;
            _thread.Join();
            Sample();
            return Interlocked.Read(ref _peak);
        }

        public void Dispose()
        {
            if (!_stop) Stop();
        }
    }
}
