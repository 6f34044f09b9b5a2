namespace PimBridge.Core.Gaps;

/// <summary>
/// Trail files in a local folder (a copy of a trail bucket, or exports an investigator gathered): every <c>*.json</c>,
/// <c>*.jsonl</c> and <c>*.ndjson</c> below it, gzip (<c>.gz</c>) or plain, in ordinal order of their relative paths so runs are repeatable. One batch per file and no
/// cursor: a folder is small enough to re-read, and its files may change between runs. Digest files
/// (<c>CloudTrail-Digest/</c>) are skipped because they are not logs. A damaged file is counted, never thrown.
/// </summary>
/// <remarks>
/// Records are not filtered by account or time: the gap detector matches them to its watch windows, and a folder often
/// holds files copied out of their key layout.
/// </remarks>
public sealed class TrailDirectorySource : ITrailSource
{
    private const string DigestFolder = "CloudTrail-Digest";

    /// <param name="path">The folder to read; it must exist when <see cref="ReadAsync"/> runs.</param>
    public TrailDirectorySource(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Root = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The folder's full path.</summary>
    public string Root { get; }

    public string Describe => $"directory {Root}";

    public async IAsyncEnumerable<TrailBatch> ReadAsync(ActivityQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!Directory.Exists(Root))
            throw new DirectoryNotFoundException($"The trail directory '{Root}' does not exist; check Gaps.Source.Path.");

        foreach (var file in Files())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stats = new TrailScanStats();
            IReadOnlyList<TrailRecord> records;
            var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await using (stream.ConfigureAwait(false))
                records = await TrailRecordReader.ReadAsync(stream, file, query.Filter, stats, cancellationToken).ConfigureAwait(false);
            yield return new TrailBatch(file, records, stats, Cursor: null);
        }
    }

    /// <summary>The trail files below <see cref="Root"/>, in ordinal order of their paths relative to it.</summary>
    public IReadOnlyList<string> Files()
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System };
        return Directory.EnumerateFiles(Root, "*", options)
            .Where(IsTrailFile)
            .Select(full => (Full: full, Relative: System.IO.Path.GetRelativePath(Root, full).Replace('\\', '/')))
            .Where(f => !f.Relative.Split('/').Contains(DigestFolder, StringComparer.OrdinalIgnoreCase))
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .Select(f => f.Full)
            .ToList();
    }

    /// <summary>The extensions of trail files and exports; the reader tells their form by content, not by name.</summary>
    private static readonly string[] Extensions = [".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz"];

    private static bool IsTrailFile(string path) => Extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));
}
