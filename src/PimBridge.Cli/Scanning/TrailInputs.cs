using PimBridge.Core.Gaps;

namespace PimBridge.Cli.Scanning;

/// <summary>
/// The trail files named on the command line, checked before any reading starts so a mistyped path fails at once
/// rather than after an hour of reading the others. Folders are read recursively (<c>*.json.gz</c> and <c>*.json</c>,
/// digests skipped); a file named on its own is read whatever its extension. A folder inside another given folder, or
/// a file inside one, is read once.
/// </summary>
internal sealed class TrailInputs
{
    private TrailInputs(IReadOnlyList<TrailInput> inputs) => Inputs = inputs;

    /// <summary>In the order given.</summary>
    public IReadOnlyList<TrailInput> Inputs { get; }

    public int FileCount => Inputs.Sum(i => i.FileCount);

    /// <exception cref="CliInputException">A path does not exist, is not valid, or a folder cannot be listed.</exception>
    public static TrailInputs Resolve(IReadOnlyCollection<string> paths)
    {
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var resolved = new List<(string Full, bool IsFolder)>();
        foreach (var path in paths)
        {
            string full;
            try
            {
                full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
            {
                throw new CliInputException($"'{path}' is not a valid path ({e.Message}); give CloudTrail files or exports (.json, .jsonl, .ndjson, gzip or plain) or folders of them.", e);
            }

            if (Directory.Exists(full)) resolved.Add((full, true));
            else if (File.Exists(full)) resolved.Add((full, false));
            else throw new CliInputException($"The path '{path}' does not exist; give CloudTrail files or exports (.json, .jsonl, .ndjson, gzip or plain) or folders of them.");
        }

        var folders = resolved.Where(r => r.IsFolder).Select(r => r.Full).Distinct(StringComparer.FromComparison(comparison)).ToList();
        var outermost = folders.Where(f => !folders.Any(other => other != f && IsBelow(f, other, comparison))).ToHashSet(StringComparer.FromComparison(comparison));

        var inputs = new List<TrailInput>();
        var listed = new HashSet<string>(StringComparer.FromComparison(comparison));
        foreach (var folder in outermost)
        {
            var source = new TrailDirectorySource(folder);
            IReadOnlyList<string> files;
            try
            {
                files = source.Files();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliInputException($"The folder '{folder}' could not be listed ({e.Message}); check its permissions.", e);
            }

            listed.UnionWith(files);
            inputs.Add(new TrailInput(folder, source, files.Count));
        }

        foreach (var (full, isFolder) in resolved)
        {
            if (!isFolder && listed.Add(full))
                inputs.Add(new TrailInput(full, null, 1));
        }

        // Back into the order given: folders and files as they came.
        var order = resolved.Select(r => r.Full).ToList();
        return new TrailInputs(inputs.OrderBy(i => order.FindIndex(p => string.Equals(p, i.FullPath, comparison))).ToList());
    }

    private static bool IsBelow(string path, string folder, StringComparison comparison) =>
        path.StartsWith(folder + Path.DirectorySeparatorChar, comparison)
        || (Path.AltDirectorySeparatorChar != Path.DirectorySeparatorChar && path.StartsWith(folder + Path.AltDirectorySeparatorChar, comparison));
}
