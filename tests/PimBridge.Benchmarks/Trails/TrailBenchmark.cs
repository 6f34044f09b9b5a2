using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace PimBridge.Benchmarks.Trails;

/// <summary>
/// The <c>trails</c> mode: generates (or reuses) a realistic organisation trail of at least 1 GB of JSON, scans it with
/// PimBridge's <see cref="PimBridge.Core.Gaps.TrailRecordReader"/> on one core, scans it again with the straightforward
/// Python baseline (<c>python/python_trail_scanner.py</c>: gzip + json, the same rule), checks that both found the
/// same records, measures peak memory on a file and on one ten times larger, and prints the figures against the
/// targets: at least 5× the Python baseline, at least 150 MB/s of JSON on one core, memory flat as files grow.
/// Every scan is a child process pinned to one CPU (<c>taskset</c>), so its peak memory is its own and it runs on one core.
/// </summary>
public static class TrailBenchmark
{
    private const double TargetSpeedup = 5;
    private const double TargetMegabytesPerSecond = 150;

    /// <summary>Flat: the 10× larger file may cost at most this much more peak memory than the small one.</summary>
    private const double FlatTolerance = 1.10;

    /// <summary>The GC heap holds the returned candidates and garbage not yet collected: a few MB at most.</summary>
    private const long FlatHeapBytes = 4_000_000;

    private const string Usage =
        "usage: trails [--size-mb N (1200)] [--seed S (20260701)] [--corpus DIR] [--regenerate] [--passes P (5)] [--cpu C (0), -1: no pinning] [--python PATH (python3)] [--generate-only]";

    public static async Task<int> RunAsync(string[] args)
    {
        var sizeMb = 1200L;
        var seed = 20260701;
        string? root = null;
        var regenerate = false;
        var passes = 5;
        var cpu = 0;
        var python = "python3";
        var generateOnly = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--size-mb": sizeMb = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--corpus": root = args[++i]; break;
                case "--regenerate": regenerate = true; break;
                case "--passes": passes = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--cpu": cpu = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--python": python = args[++i]; break;
                case "--generate-only": generateOnly = true; break;
                default:
                    Console.Error.WriteLine($"unknown argument {args[i]}; {Usage}");
                    return 2;
            }
        }

        if (sizeMb < 1 || passes < 1)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        root ??= TrailCorpus.DefaultRoot(seed, sizeMb * TrailCorpus.MB);
        var corpus = TrailCorpus.Ensure(root, sizeMb * TrailCorpus.MB, seed, regenerate, Console.Out);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"corpus {(corpus.Reused ? "reused" : "written")} at {corpus.Root}: {corpus.Files.Count} files, {corpus.Bytes / 1e6:N0} MB of JSON ({corpus.CompressedBytes / 1e6:N0} MB gzip), {corpus.Records:N0} records, {corpus.Grants.Count} watched grants"));
        if (generateOnly) return 0;

        var script = Path.Combine(AppContext.BaseDirectory, "python", "python_trail_scanner.py");
        var pin = cpu >= 0 && File.Exists("/usr/bin/taskset") ? cpu : -1;
        Console.WriteLine(pin >= 0 ? $"scans pinned to CPU {pin} (taskset); load average before: {LoadAverage()}" : "scans NOT pinned to one CPU");

        Console.WriteLine($"C#: TrailRecordReader over the corpus, {passes} pass(es)...");
        var csharp = await RunChildAsync(pin, Self(), ["trails-scan", "--watch", corpus.WatchPath, "--passes", passes.ToString(CultureInfo.InvariantCulture), corpus.TrailDirectory]);
        Console.WriteLine("C#: peak memory on the 10 MB and the 100 MB file...");
        var csharpSmall = await RunChildAsync(pin, Self(), ["trails-scan", "--watch", corpus.WatchPath, corpus.FullPath(corpus.Small)]);
        var csharpLarge = await RunChildAsync(pin, Self(), ["trails-scan", "--watch", corpus.WatchPath, corpus.FullPath(corpus.Large)]);
        Console.WriteLine($"Python: {script} over the corpus...");
        var py = await RunChildAsync(pin, [python, script], ["--watch", corpus.WatchPath, corpus.TrailDirectory]);
        Console.WriteLine("Python: peak memory on the 10 MB and the 100 MB file...");
        var pySmall = await RunChildAsync(pin, [python, script], ["--watch", corpus.WatchPath, corpus.FullPath(corpus.Small)]);
        var pyLarge = await RunChildAsync(pin, [python, script], ["--watch", corpus.WatchPath, corpus.FullPath(corpus.Large)]);

        // Both scanners must agree, or the comparison means nothing.
        var disagreements = new List<string>();
        void Agree(string what, TrailScanResult a, TrailScanResult b)
        {
            if (a.Records != b.Records || a.Candidates != b.Candidates || a.Matches != b.Matches || a.Bytes != b.Bytes)
                disagreements.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{what}: C# records {a.Records:N0}, candidates {a.Candidates:N0}, matches {a.Matches:N0}, bytes {a.Bytes:N0}; Python records {b.Records:N0}, candidates {b.Candidates:N0}, matches {b.Matches:N0}, bytes {b.Bytes:N0}"));
        }

        Agree("corpus", csharp, py);
        Agree("10 MB file", csharpSmall, pySmall);
        Agree("100 MB file", csharpLarge, pyLarge);
        if (csharp.Records != corpus.Records)
            disagreements.Add($"corpus: the generator wrote {corpus.Records:N0} records, C# read {csharp.Records:N0}");

        var cold = csharp.Seconds[0];
        var median = Median(csharp.Seconds);
        var medianCpu = Median(csharp.CpuSeconds);
        var pySeconds = py.Seconds[0];
        var pyCpu = py.CpuSeconds[0];
        var mbps = csharp.Bytes / 1e6 / median;
        var mbpsCpu = csharp.Bytes / 1e6 / medianCpu;
        var speedup = pySeconds / median;
        var speedupCpu = pyCpu / medianCpu;
        var rssGrowth = (double)csharpLarge.PeakRssBytes / csharpSmall.PeakRssBytes;
        var heapGrowth = csharpLarge.PeakGcHeapBytes - csharpSmall.PeakGcHeapBytes;

        var table = new StringBuilder();
        table.AppendLine();
        table.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Corpus: {corpus.Files.Count} files, {corpus.Bytes / 1e6:N0} MB JSON ({corpus.CompressedBytes / 1e6:N0} MB gzip), {corpus.Records:N0} records; {csharp.Candidates:N0} candidates ({100.0 * csharp.Candidates / csharp.Records:0.00}%), {csharp.Matches:N0} matches ({100.0 * csharp.Matches / csharp.Records:0.000}%) of {corpus.Grants.Count} watched grants"));
        table.AppendLine();
        table.AppendLine((pin >= 0 ? $"| Scanner (pinned to CPU {pin})" : "| Scanner (not pinned)") + " | Seconds | Records/s | MB/s (JSON) | CPU seconds | MB/s per CPU second | Peak RSS | Peak GC heap | Allocated |");
        table.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        void Row(string name, TrailScanResult r, double seconds, double cpuSeconds, bool gc) => table.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {seconds:0.00} | {r.Records / seconds:N0} | {r.Bytes / 1e6 / seconds:N0} | {cpuSeconds:0.00} | {r.Bytes / 1e6 / cpuSeconds:N0} | {Mb(r.PeakRssBytes)} | {(gc ? Mb(r.PeakGcHeapBytes) : "–")} | {(gc ? Mb(r.AllocatedBytesPerPass) + " per pass" : "–")} |"));
        Row("C# TrailRecordReader, first pass (cold)", csharp, cold, csharp.CpuSeconds[0], true);
        Row($"C# TrailRecordReader, median of {passes} passes", csharp, median, medianCpu, true);
        Row("Python gzip + json baseline", py, pySeconds, pyCpu, false);
        table.AppendLine();
        table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"C# passes (s): {string.Join(", ", csharp.Seconds.Select(x => x.ToString("0.00", CultureInfo.InvariantCulture)))}"));
        table.AppendLine();
        table.AppendLine("| Memory (one file) | C# peak RSS | C# peak GC heap | Python peak RSS |");
        table.AppendLine("|---|---:|---:|---:|");
        table.AppendLine($"| {corpus.Small.Bytes / 1e6:N0} MB file | {Mb(csharpSmall.PeakRssBytes)} | {Mb(csharpSmall.PeakGcHeapBytes)} | {Mb(pySmall.PeakRssBytes)} |");
        table.AppendLine($"| {corpus.Large.Bytes / 1e6:N0} MB file | {Mb(csharpLarge.PeakRssBytes)} | {Mb(csharpLarge.PeakGcHeapBytes)} | {Mb(pyLarge.PeakRssBytes)} |");
        table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| growth (10× the JSON) | ×{rssGrowth:0.00} | {(heapGrowth >= 0 ? "+" : "")}{Mb(heapGrowth)} | ×{(double)pyLarge.PeakRssBytes / pySmall.PeakRssBytes:0.00} |"));
        table.AppendLine();
        table.AppendLine($"| Target | Measured (wall clock{(pin >= 0 ? ", one CPU" : "")}) | Measured (CPU time) | Result |");
        table.AppendLine("|---|---:|---:|---|");
        table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| ≥ {TargetSpeedup}× the Python baseline | {speedup:0.0}× (cold pass {pySeconds / cold:0.0}×) | {speedupCpu:0.0}× | {Verdict(speedup >= TargetSpeedup, pySeconds / cold >= TargetSpeedup)} |"));
        table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| ≥ {TargetMegabytesPerSecond} MB/s of JSON on one core | {mbps:N0} MB/s (cold pass {csharp.Bytes / 1e6 / cold:N0}) | {mbpsCpu:N0} MB/s | {Verdict(mbps >= TargetMegabytesPerSecond, csharp.Bytes / 1e6 / cold >= TargetMegabytesPerSecond)} |"));
        table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| memory flat as files grow (10× the JSON: peak RSS ≤ ×{FlatTolerance:0.00}, GC heap ≤ +{FlatHeapBytes / 1e6:0} MB) | RSS ×{rssGrowth:0.00}, GC heap {(heapGrowth >= 0 ? "+" : "")}{Mb(heapGrowth)} | – | {Verdict(rssGrowth <= FlatTolerance && heapGrowth <= FlatHeapBytes)} |"));
        table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| same records found as the baseline | {csharp.Matches:N0} matches, {csharp.Candidates:N0} candidates (Python {py.Matches:N0}, {py.Candidates:N0}) | – | {Verdict(disagreements.Count == 0)} |"));
        table.AppendLine();
        table.AppendLine($"C#: {csharp.Runtime}, {csharp.ProcessorCount} processor(s) visible, {csharp.Gen0Collections} gen0 / {csharp.Gen2Collections} gen2 collections over {passes} pass(es); Python {PythonVersion(python)}; load average after: {LoadAverage()}.");
        Console.Write(table.ToString());

        if (disagreements.Count > 0)
        {
            Console.Error.WriteLine();
            Console.Error.WriteLine("FAILED: the C# scanner and the Python baseline disagree:");
            foreach (var d in disagreements) Console.Error.WriteLine("  " + d);
            return 1;
        }

        return 0;
    }

    private static string Verdict(bool met) => met ? "**met**" : "**NOT met**";

    /// <summary>Judged on the warm passes (a running detector); the cold first pass is stated beside.</summary>
    private static string Verdict(bool warm, bool cold) => $"{Verdict(warm)} warm; first pass {(cold ? "met" : "NOT met")}";

    private static string Mb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:N1} MB");

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>How to start this program again: the apphost, or <c>dotnet</c> and the assembly.</summary>
    private static string[] Self()
    {
        var process = Environment.ProcessPath!;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, Assembly.GetEntryAssembly()!.Location] : [process];
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";

    private static string PythonVersion(string python)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(python, "--version") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return text.Trim().Replace("Python ", "", StringComparison.Ordinal);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "not found";
        }
    }

    /// <summary>Runs one scan, pinned to a CPU when asked, passes its progress through, and parses its JSON result.</summary>
    private static async Task<TrailScanResult> RunChildAsync(int cpu, string[] command, string[] args)
    {
        var info = new ProcessStartInfo(cpu >= 0 ? "/usr/bin/taskset" : command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (cpu >= 0)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(cpu.ToString(CultureInfo.InvariantCulture));
            info.ArgumentList.Add(command[0]);
        }

        foreach (var a in command.Skip(1).Concat(args)) info.ArgumentList.Add(a);
        var wall = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {command[0]}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line) Console.WriteLine(line);
        });
        await process.WaitForExitAsync();
        await stderr;
        var output = (await stdout).Trim();
        if (process.ExitCode != 0 || output.Length == 0)
            throw new InvalidOperationException($"{string.Join(' ', command)} exited with {process.ExitCode}: {output}");

        // The Python script prints snake_case and one duration; the C# child prints TrailScanResult itself.
        using var document = JsonDocument.Parse(output);
        var root = document.RootElement;
        if (root.TryGetProperty("peak_rss_bytes", out _))
        {
            var result = new TrailScanResult
            {
                Files = root.GetProperty("files").GetInt64(),
                Records = root.GetProperty("records").GetInt64(),
                Candidates = root.GetProperty("candidates").GetInt64(),
                Matches = root.GetProperty("matches").GetInt64(),
                Malformed = root.GetProperty("malformed").GetInt64(),
                Bytes = root.GetProperty("bytes").GetInt64(),
                Seconds = [root.GetProperty("seconds").GetDouble()],
                CpuSeconds = [root.GetProperty("cpu_seconds").GetDouble()],
                PeakRssBytes = root.GetProperty("peak_rss_bytes").GetInt64(),
                Runtime = "Python " + root.GetProperty("python").GetString(),
            };
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  Python: {result.Records:N0} records, {result.Bytes / 1e6:N0} MB in {result.Seconds[0]:0.00} s ({result.Bytes / 1e6 / result.Seconds[0]:0} MB/s), wall {wall.Elapsed.TotalSeconds:0.0} s"));
            return result;
        }

        return JsonSerializer.Deserialize<TrailScanResult>(output, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
    }
}
