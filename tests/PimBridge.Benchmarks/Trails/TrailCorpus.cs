using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PimBridge.Benchmarks.Trails;

/// <summary>One generated trail file: its path under the corpus root, JSON bytes, gzip bytes, records.</summary>
public sealed record TrailCorpusFile(string Path, long Bytes, long CompressedBytes, long Records);

/// <summary>
/// A generated organisation trail: gzip files laid out as an S3 organization trail
/// (<c>trail/AWSLogs/&lt;org&gt;/&lt;account&gt;/CloudTrail/&lt;region&gt;/YYYY/MM/DD/&lt;account&gt;_CloudTrail_&lt;region&gt;_&lt;time&gt;_&lt;unique&gt;.json.gz</c>,
/// reference §8), 5–30 MB of JSON each like real delivery files, plus <c>watch.json</c> (the watched grants both
/// scanners read) and two files for the memory test, one ten times the other (<c>flat/</c>). Deterministic for a
/// seed, and cached in a temporary folder keyed by <see cref="GeneratorVersion"/>, seed and size: a rerun reuses it.
/// </summary>
public sealed class TrailCorpus
{
    /// <summary>Bump when the generator's output changes, so stale caches are not reused.</summary>
    public const int GeneratorVersion = 1;

    public const long MB = 1_000_000;
    public const long SmallFileBytes = 10 * MB;
    public const long LargeFileBytes = 100 * MB;

    private const string ManifestName = "manifest.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public required string Root { get; init; }
    public required int Seed { get; init; }
    public required IReadOnlyList<TrailCorpusFile> Files { get; init; }
    public required TrailCorpusFile Small { get; init; }
    public required TrailCorpusFile Large { get; init; }
    public required IReadOnlyList<WatchedGrant> Grants { get; init; }
    public double GeneratedSeconds { get; init; }

    [JsonIgnore] public bool Reused { get; private set; }
    [JsonIgnore] public string TrailDirectory => Path.Combine(Root, "trail");
    [JsonIgnore] public string WatchPath => Path.Combine(Root, "watch.json");
    [JsonIgnore] public long Bytes => Files.Sum(f => f.Bytes);
    [JsonIgnore] public long CompressedBytes => Files.Sum(f => f.CompressedBytes);
    [JsonIgnore] public long Records => Files.Sum(f => f.Records);

    public string FullPath(TrailCorpusFile file) => Path.Combine(Root, file.Path);

    public static string DefaultRoot(int seed, long targetBytes) =>
        Path.Combine(Path.GetTempPath(), "pimbridge-trail-bench", string.Create(CultureInfo.InvariantCulture, $"v{GeneratorVersion}-seed{seed}-{targetBytes / MB}MB"));

    /// <summary>Reuses the corpus at <paramref name="root"/> when its manifest says it is complete, else generates it.</summary>
    public static TrailCorpus Ensure(string root, long targetBytes, int seed, bool regenerate, TextWriter log)
    {
        var manifest = Path.Combine(root, ManifestName);
        if (!regenerate && File.Exists(manifest))
        {
            var cached = JsonSerializer.Deserialize<TrailCorpus>(File.ReadAllText(manifest), Json);
            if (cached is not null && cached.Seed == seed && cached.Files.All(f => File.Exists(cached.FullPath(f))) && File.Exists(cached.WatchPath))
            {
                cached = cached.With(root);
                cached.Reused = true;
                return cached;
            }
        }

        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        Directory.CreateDirectory(root);
        log.WriteLine($"generating about {targetBytes / MB:N0} MB of trail JSON into {root} ({Environment.ProcessorCount} threads)...");
        var clock = Stopwatch.StartNew();
        var world = new TrailWorld(seed);
        var specs = Plan(world, seed, targetBytes);
        var files = new TrailCorpusFile[specs.Count];
        Parallel.For(0, specs.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var spec = specs[i];
            var key = TrailJson.OrganizationTrailKey(TrailWorld.OrganizationId, spec.AccountId, spec.Region, spec.Delivered, spec.Unique);
            files[i] = WriteFile(world, spec, root, Path.Combine("trail", key));
        });

        // The memory test: the same mix in one account, 10 MB and 100 MB.
        var flatAccount = Array.IndexOf(world.Accounts, world.Grants[0].Accounts[0]);
        TrailCorpusFile Flat(string name, long bytes, int index)
        {
            var spec = new TrailFileSpec(index, flatAccount, world.Accounts[flatAccount], "us-east-1", TrailWorld.DayStart.AddHours(14), bytes, seed ^ (0x5EED << 8) ^ index, "FLATFLATFLAT" + name.ToUpperInvariant()[..4]);
            return WriteFile(world, spec, root, Path.Combine("flat", name, $"{spec.AccountId}_CloudTrail_us-east-1_20260701T1400Z_{spec.Unique}.json.gz"));
        }

        var small = Flat("small", SmallFileBytes, 1_000_001);
        var large = Flat("large", LargeFileBytes, 1_000_002);
        var watch = new { grants = world.Grants.Select(g => new { g.UserName, g.UserId, g.PermissionSet, g.Accounts, End = TrailWorld.Iso(g.End) }) };
        File.WriteAllText(Path.Combine(root, "watch.json"), JsonSerializer.Serialize(watch, Json));
        var corpus = new TrailCorpus
        {
            Root = root,
            Seed = seed,
            Files = files,
            Small = small,
            Large = large,
            Grants = world.Grants,
            GeneratedSeconds = clock.Elapsed.TotalSeconds,
        };
        File.WriteAllText(manifest, JsonSerializer.Serialize(corpus, Json));
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"generated {files.Length} files, {corpus.Bytes / (double)MB:N0} MB of JSON ({corpus.CompressedBytes / (double)MB:N0} MB gzip), {corpus.Records:N0} records in {clock.Elapsed.TotalSeconds:0.0} s"));
        return corpus;
    }

    private TrailCorpus With(string root) => new()
    {
        Root = root,
        Seed = Seed,
        Files = Files,
        Small = Small,
        Large = Large,
        Grants = Grants,
        GeneratedSeconds = GeneratedSeconds,
    };

    /// <summary>Which files to write: accounts, Regions (the Identity Center account in its home Region), delivery times and sizes.</summary>
    private static List<TrailFileSpec> Plan(TrailWorld world, int seed, long targetBytes)
    {
        var rng = new Random(seed);
        var regions = TrailWorld.Cumulative(TrailWorld.RegionWeights);
        var specs = new List<TrailFileSpec>();
        for (long total = 0; total < targetBytes;)
        {
            var identityCenter = rng.NextDouble() < 0.08;
            var account = identityCenter ? -1 : (int)(world.Accounts.Length * Math.Pow(rng.NextDouble(), 1.5));
            var region = identityCenter ? TrailWorld.IdentityCenterRegion : TrailWorld.Regions[TrailWorld.Pick(rng, regions)];
            var delivered = TrailWorld.DayStart.AddMinutes(rng.Next(24 * 12) * 5 + rng.Next(5)).AddSeconds(rng.Next(60));
            var bytes = 5 * MB + rng.NextInt64(25 * MB);
            specs.Add(new TrailFileSpec(specs.Count, account, identityCenter ? TrailWorld.IdentityCenterAccount : world.Accounts[account], region, delivered, bytes, rng.Next(), TrailWorld.Alnum(rng, 16)));
            total += bytes;
        }

        return specs;
    }

    private static TrailCorpusFile WriteFile(TrailWorld world, TrailFileSpec spec, string root, string relative)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        long records, bytes;
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            using (var gzip = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true))
            {
                var generator = new TrailRecordGenerator(world, spec, gzip);
                generator.WriteFile();
                records = generator.Records;
                bytes = generator.BytesWritten;
            }
        }

        File.Move(temporary, path, overwrite: true);
        return new TrailCorpusFile(relative, bytes, new FileInfo(path).Length, records);
    }

    /// <summary>One file in memory, for the BenchmarkDotNet microbenchmark: its JSON, its gzip, and the watched grants.</summary>
    public static (byte[] Json, byte[] Gzip, IReadOnlyList<WatchedGrant> Grants) InMemory(int seed, long bytes)
    {
        var world = new TrailWorld(seed);
        var account = Array.IndexOf(world.Accounts, world.Grants[0].Accounts[0]);
        var spec = new TrailFileSpec(0, account, world.Accounts[account], "us-east-1", TrailWorld.DayStart.AddHours(14), bytes, seed, "INMEMORYINMEMORY");
        using var json = new MemoryStream();
        new TrailRecordGenerator(world, spec, json).WriteFile();
        using var gzip = new MemoryStream();
        using (var compressor = new GZipStream(gzip, CompressionLevel.Optimal, leaveOpen: true))
            compressor.Write(json.GetBuffer(), 0, (int)json.Length);
        return (json.ToArray(), gzip.ToArray(), world.Grants);
    }
}
