using System.Text;

namespace PimBridge.Cli.Reports;

/// <summary>
/// Where <c>--html FILE</c> writes: checked before a command does its work (so a long scan never ends in a path it
/// cannot write), then written whole, replacing any file there.
/// </summary>
internal static class ReportFile
{
    /// <summary>The full path, once its folder is known to exist and to take a new file.</summary>
    /// <exception cref="CliInputException">The folder does not exist or cannot be written, or the path is a folder.</exception>
    public static string Check(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Trim().Length == 0)
            throw new CliInputException("--html needs a file name, such as report.html.");
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new CliInputException($"--html '{path}' is a folder; give a file name in it, such as {Path.Combine(path, "report.html")}.");
        var folder = Path.GetDirectoryName(full) ?? full;
        if (!Directory.Exists(folder))
            throw new CliInputException($"The folder '{folder}' for --html does not exist; create it or give a path in an existing folder.");
        try
        {
            // A file that deletes itself: proves a new file can be created there, and leaves nothing behind.
            using var probe = new FileStream(Path.Combine(folder, $".pimbridge-report-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliInputException($"Cannot write the --html report in '{folder}' ({e.Message}); check the folder's permissions or give another path.", e);
        }

        return full;
    }

    /// <summary>Writes the page (UTF-8, no byte order mark), replacing what was there; a reader never sees half a page.</summary>
    /// <exception cref="CliInputException">It could not be written.</exception>
    public static async Task WriteAsync(string path, string content, CancellationToken cancellationToken)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await File.WriteAllTextAsync(temporary, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), cancellationToken).ConfigureAwait(false);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliInputException($"Could not write the --html report to '{path}' ({e.Message}); check the path and its folder's permissions.", e);
        }
        finally
        {
            try
            {
                File.Delete(temporary); // gone already once moved; left behind by a failure or a cancellation otherwise
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Nothing more to do: the error above (or the cancellation) is what the user needs to see.
            }
        }
    }
}
