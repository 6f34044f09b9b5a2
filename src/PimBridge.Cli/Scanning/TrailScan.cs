using PimBridge.Core.Gaps;

namespace PimBridge.Cli.Scanning;

/// <summary>
/// Reads trail files against watch windows, the way the gap detector does (<see cref="GapWatchSet.Match"/>, one alert
/// per event id) but with nothing stored: a one-off scan for an investigation or a CI check, safe to repeat.
/// </summary>
internal static class TrailScan
{
    public static async Task<TrailScanOutcome> RunAsync(TrailInputs inputs, GapWatchSet watch, Action<TrailScanProgress>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(watch);
        var (from, until) = watch.Range;
        var query = new ActivityQuery(watch.Accounts, from, until, watch.Filter, NoTrailCursors.Instance) { UserNames = watch.UserNames };
        var stats = new TrailScanStats();
        var alerts = new List<GapAlert>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var filesRead = 0;

        void Take(TrailBatch batch)
        {
            stats.Add(batch.Stats);
            foreach (var record in batch.Records)
            {
                if (watch.Match(record) is { } alert && seen.Add(alert.EventId))
                    alerts.Add(alert);
            }

            filesRead++;
            progress?.Invoke(new TrailScanProgress(filesRead, inputs.FileCount, stats.Bytes));
        }

        foreach (var input in inputs.Inputs)
        {
            try
            {
                if (input.Folder is { } folder)
                {
                    await foreach (var batch in folder.ReadAsync(query, cancellationToken).ConfigureAwait(false))
                        Take(batch);
                }
                else
                {
                    var fileStats = new TrailScanStats();
                    var stream = new FileStream(input.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
                    IReadOnlyList<TrailRecord> records;
                    await using (stream.ConfigureAwait(false))
                        records = await TrailRecordReader.ReadAsync(stream, input.FullPath, watch.Filter, fileStats, cancellationToken).ConfigureAwait(false);
                    Take(new TrailBatch(input.FullPath, records, fileStats, Cursor: null));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException && !cancellationToken.IsCancellationRequested)
            {
                throw new CliInputException($"Reading '{input.FullPath}' failed ({e.Message}); check that the trail files are readable and not being moved.", e);
            }
        }

        var ordered = alerts.OrderBy(a => a.EventTime).ThenBy(a => a.EventId, StringComparer.Ordinal).ToList();
        return new TrailScanOutcome(ordered, stats, watch.Windows.Count);
    }
}
