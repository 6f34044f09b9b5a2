using PimBridge.Core.Gaps;

namespace PimBridge.Cli.Scanning;

/// <summary>One path a scan reads: a folder (through <see cref="TrailDirectorySource"/>) or a single trail file.</summary>
internal sealed record TrailInput(string FullPath, TrailDirectorySource? Folder, int FileCount);
