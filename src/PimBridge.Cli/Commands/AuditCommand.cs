using System.CommandLine;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using PimBridge.Cli.Output;
using PimBridge.Core.Domain;
using Spectre.Console;

namespace PimBridge.Cli.Commands;

/// <summary>
/// <c>pimbridge audit verify|export</c>: the state store's append-only, hash-chained audit log. <c>verify</c> walks the
/// chain and says where it breaks (exit <see cref="ExitCodes.AuditChainBroken"/>); <c>export</c> streams every entry as
/// JSON Lines or CSV. Both read the log page by page, never all of it at once, and neither writes to the store.
/// </summary>
internal static class AuditCommand
{
    /// <summary>How often (in entries) the progress line is redrawn.</summary>
    private const int ProgressEvery = 1000;

    /// <summary>How much export text is gathered before it is written.</summary>
    private const int ChunkChars = 1 << 16;

    public static Command Create(CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        return new Command("audit", "Verify or export the hash-chained audit log of the state store.")
        {
            Verify(console),
            Export(console),
        };
    }

    private static Command Verify(CliConsole console)
    {
        var json = Arguments.JsonOption("Write one JSON document (ok, entries, lastSeq, headHash, break) instead of a sentence.");
        var store = new StateStoreOptions();
        var command = new Command("verify", $"Check every link of the audit chain; exit {ExitCodes.AuditChainBroken} and name the first broken entry if one does not hold.") { json };
        store.AddTo(command);

        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, console, async ct =>
        {
            var asJson = parseResult.GetValue(json);
            var tally = new AuditTally();
            AuditBreak? broken;
            await using (var opened = await store.OpenAsync(parseResult, ct).ConfigureAwait(false))
            {
                var total = (await opened.Store.GetAuditHeadAsync(ct).ConfigureAwait(false))?.Seq ?? 0;
                broken = await WithProgressAsync(console, show: !asJson && total > 0, "Verifying the audit chain...", progress =>
                    AuditChain.VerifyAsync(tally.Observe(opened.Store.ReadAuditAsync(1, ct), progress, "Verifying", total), ct)).ConfigureAwait(false);
            }

            if (asJson)
            {
                JsonOutput.Write(console.Output, new AuditVerifyDocument(
                    broken is null, tally.Count, tally.Last?.Seq, broken is null ? tally.Last?.Hash : null,
                    broken is null ? null : new AuditBreakDocument(broken.Seq, broken.Reason)));
            }
            else if (broken is not null)
            {
                var trusted = broken.Seq > 1 ? $"Entries 1-{broken.Seq - 1} verify; entry {broken.Seq} and every entry after it cannot be trusted." : "No entry can be trusted.";
                await console.Output.WriteLineAsync($"Audit chain BROKEN at entry {broken.Seq}: {broken.Reason}. {trusted} ({Formats.Count(tally.Count, "entry", "entries")} checked.)").ConfigureAwait(false);
            }
            else if (tally.Last is null)
            {
                await console.Output.WriteLineAsync("The audit log is empty; there is nothing to verify.").ConfigureAwait(false);
            }
            else
            {
                await console.Output.WriteLineAsync($"Audit chain OK: {Formats.Count(tally.Count, "entry", "entries")} verified (seq 1-{tally.Last.Seq}), head hash {tally.Last.Hash}.").ConfigureAwait(false);
            }

            return broken is null ? ExitCodes.Success : ExitCodes.AuditChainBroken;
        }, cancellationToken));
        return command;
    }

    private static Command Export(CliConsole console)
    {
        var format = new Option<string>("--format")
        {
            Description = "json: JSON Lines, one entry per line; csv: RFC 4180 with a header row.",
            HelpName = "json|csv",
            Required = true,
        }.AcceptOnlyFromAmong("json", "csv");
        var output = new Option<string>("--output")
        {
            Description = "Write to this file (replaced only once the export is complete) instead of standard output.",
            HelpName = "file",
        };
        var from = new Option<long>("--from")
        {
            Description = "Start at this sequence number (entries are numbered from 1).",
            HelpName = "seq",
            DefaultValueFactory = _ => 1,
        };
        var store = new StateStoreOptions();
        var command = new Command("export", "Write every audit entry (seq, at, kind, subject, data, prevHash, hash) as JSON Lines or CSV.") { format, output, from };
        store.AddTo(command);

        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, console, ct => ExportAsync(
            console, store, parseResult, parseResult.GetRequiredValue(format) == "csv", parseResult.GetValue(output), parseResult.GetValue(from), ct), cancellationToken));
        return command;
    }

    private static async Task<int> ExportAsync(CliConsole console, StateStoreOptions store, ParseResult parseResult, bool csv, string? outputPath, long from, CancellationToken cancellationToken)
    {
        if (from < 1)
            throw new CliInputException($"--from {from.ToString(CultureInfo.InvariantCulture)} is not a sequence number; audit entries are numbered from 1.");
        using var target = outputPath is null ? null : ExportFile.Prepare(outputPath);
        var tally = new AuditTally();
        await using (var opened = await store.OpenAsync(parseResult, cancellationToken).ConfigureAwait(false))
        {
            var total = Math.Max(0, ((await opened.Store.GetAuditHeadAsync(cancellationToken).ConfigureAwait(false))?.Seq ?? 0) - from + 1);
            var writer = target?.Open() ?? console.Output;
            try
            {
                await WithProgressAsync(console, show: target is not null && total > 0, "Exporting the audit log...", async progress =>
                {
                    // Entries are written in chunks: one write per entry would cost a system call each on a terminal's
                    // auto-flushing standard output.
                    var chunk = new StringBuilder(ChunkChars + 4096);
                    if (csv) chunk.Append(AuditCsv.Header);
                    await foreach (var entry in tally.Observe(opened.Store.ReadAuditAsync(from, cancellationToken), progress, "Exporting", total).ConfigureAwait(false))
                    {
                        if (csv) AuditCsv.AppendRow(chunk, entry);
                        else chunk.Append(JsonSerializer.Serialize(AuditEntryDocument.From(entry), JsonOutput.Compact)).Append('\n');
                        if (chunk.Length < ChunkChars) continue;
                        await writer.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
                        chunk.Clear();
                    }

                    await writer.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
                    return true;
                }).ConfigureAwait(false);
                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (target is not null) await writer.DisposeAsync().ConfigureAwait(false);
            }
        }

        target?.Commit();
        var range = tally.Last is null ? "" : $" (seq {tally.First!.Seq}-{tally.Last.Seq})";
        if (target is not null)
            await console.Error.WriteLineAsync($"Exported {Formats.Count(tally.Count, "audit entry", "audit entries")}{range} to {target.Path}.").ConfigureAwait(false);
        else if (tally.Count == 0)
            await console.Error.WriteLineAsync(from == 1 ? "The audit log is empty." : $"The audit log has no entries from seq {from.ToString(CultureInfo.InvariantCulture)} on.").ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>Runs <paramref name="work"/> with a live status line on standard error when a person is watching and <paramref name="show"/>.</summary>
    private static Task<T> WithProgressAsync<T>(CliConsole console, bool show, string initial, Func<Action<string>?, Task<T>> work) =>
        show && console.ShowsProgress
            ? console.ErrorConsole.Status().StartAsync(initial, context => work(text => context.Status(Markup.Escape(text))))
            : work(null);

    /// <summary>Counts the entries that stream past (and reports progress), keeping only the first and the last.</summary>
    private sealed class AuditTally
    {
        public long Count { get; private set; }
        public AuditEntry? First { get; private set; }
        public AuditEntry? Last { get; private set; }

        public async IAsyncEnumerable<AuditEntry> Observe(IAsyncEnumerable<AuditEntry> entries, Action<string>? progress, string doing, long total, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (var entry in entries.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                Count++;
                First ??= entry;
                Last = entry;
                if (progress is not null && Count % ProgressEvery == 0)
                    progress($"{doing}: {Count.ToString("N0", CultureInfo.InvariantCulture)} of {total.ToString("N0", CultureInfo.InvariantCulture)} entries");
                yield return entry;
            }
        }
    }

    /// <summary>
    /// An <c>--output</c> file, written beside its final path and moved there only when the export completed, so an
    /// interrupted export never leaves a file that looks whole.
    /// </summary>
    private sealed class ExportFile : IDisposable
    {
        private readonly string _partial;
        private bool _committed;

        private ExportFile(string path)
        {
            Path = path;
            _partial = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!, $".{System.IO.Path.GetFileName(path)}.{Guid.NewGuid():N}.partial");
        }

        public string Path { get; }

        /// <summary>Checks that the file can go where it was asked for, before any work is done.</summary>
        public static ExportFile Prepare(string outputPath)
        {
            var full = System.IO.Path.GetFullPath(outputPath);
            if (Directory.Exists(full))
                throw new CliInputException($"--output '{outputPath}' is a folder; give a file name, for example audit.jsonl.");
            var folder = System.IO.Path.GetDirectoryName(full)!;
            if (!Directory.Exists(folder))
                throw new CliInputException($"--output '{outputPath}': the folder '{folder}' does not exist; create it or write elsewhere.");
            return new ExportFile(full);
        }

        public StreamWriter Open()
        {
            try
            {
                return new StreamWriter(_partial, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 16);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliInputException($"--output '{Path}' cannot be written ({e.Message}); check the folder's permissions.", e);
            }
        }

        public void Commit()
        {
            File.Move(_partial, Path, overwrite: true);
            _committed = true;
        }

        /// <summary>An export that did not complete leaves nothing behind.</summary>
        public void Dispose()
        {
            if (!_committed) File.Delete(_partial);
        }
    }
}
