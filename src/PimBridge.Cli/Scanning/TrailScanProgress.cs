namespace PimBridge.Cli.Scanning;

/// <summary>How far a scan has read: for the progress line.</summary>
internal readonly record struct TrailScanProgress(int FilesRead, int FilesTotal, long Bytes);
