using System.Globalization;
using System.Text;
using System.Text.Json;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;
using PimBridge.Store.Sqlite;

namespace PimBridge.Cli.Tests;

/// <summary><c>pimbridge audit verify|export</c> over the audit chain the engine wrote, intact and tampered with.</summary>
public sealed class AuditCommandTests : PreparedStoreTests
{
    [Fact]
    public async Task Verify_reports_an_intact_chain()
    {
        var run = await RunAsync("audit", "verify");

        Assert.True(run.ExitCode == 0, run.ToString());
        var head = await HeadAsync();
        Assert.Equal($"Audit chain OK: {Prepared.AuditEntries} entries verified (seq 1-{Prepared.AuditEntries}), head hash {head.Hash}.", run.Output.Trim());
        Assert.Equal("", run.Error);
    }

    [Fact]
    public async Task Verify_names_an_edited_entry_and_exits_4()
    {
        await Prepared.ExecuteSqlAsync("UPDATE audit SET subject = 'mallory' WHERE seq = 5");

        var run = await RunAsync("audit", "verify");
        var json = await RunAsync("audit", "verify", "--json");

        Assert.True(run.ExitCode == 4, run.ToString());
        Assert.Equal(
            "Audit chain BROKEN at entry 5: its content does not match its hash (edited after it was written). Entries 1-4 verify; entry 5 and every entry after it cannot be trusted. (5 entries checked.)",
            run.Output.Trim());
        Assert.True(json.ExitCode == 4, json.ToString());
        using var document = JsonDocument.Parse(json.Output);
        var root = document.RootElement;
        Assert.False(root.GetProperty("ok").GetBoolean());
        Assert.Equal(5, root.GetProperty("entries").GetInt64());
        Assert.Equal(5, root.GetProperty("lastSeq").GetInt64());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("headHash").ValueKind);
        Assert.Equal(5, root.GetProperty("break").GetProperty("seq").GetInt64());
        Assert.Contains("does not match its hash", root.GetProperty("break").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Verify_names_a_removed_entry()
    {
        await Prepared.ExecuteSqlAsync("DELETE FROM audit WHERE seq = 3");

        var run = await RunAsync("audit", "verify");

        Assert.True(run.ExitCode == 4, run.ToString());
        Assert.StartsWith("Audit chain BROKEN at entry 3: entry 3 is missing (found 4 next).", run.Output.Trim());
    }

    [Fact]
    public async Task Verify_json_of_an_intact_chain()
    {
        var run = await RunAsync("audit", "verify", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        var root = document.RootElement;
        Assert.Equal(["ok", "entries", "lastSeq", "headHash", "break"], root.EnumerateObject().Select(p => p.Name));
        Assert.True(root.GetProperty("ok").GetBoolean());
        Assert.Equal(Prepared.AuditEntries, root.GetProperty("entries").GetInt64());
        Assert.Equal((await HeadAsync()).Hash, root.GetProperty("headHash").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("break").ValueKind);
    }

    [Fact]
    public async Task Verify_of_an_empty_log_says_so()
    {
        var run = await CliRun.RunAsync("audit", "verify", "--store", await Prepared.CreateEmptyAsync());

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("The audit log is empty; there is nothing to verify.", run.Output.Trim());
    }

    [Fact]
    public async Task Export_json_writes_one_entry_per_line_whose_hash_recomputes()
    {
        var run = await RunAsync("audit", "export", "--format", "json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Error);
        Assert.EndsWith("\n", run.Output);
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Prepared.AuditEntries, lines.Length);
        var stored = await ReadAuditAsync();
        for (var i = 0; i < lines.Length; i++)
        {
            using var line = JsonDocument.Parse(lines[i]);
            var e = line.RootElement;
            Assert.Equal(["seq", "at", "kind", "subject", "data", "prevHash", "hash"], e.EnumerateObject().Select(p => p.Name));
            var entry = new AuditEntry(
                e.GetProperty("seq").GetInt64(), DateTimeOffset.Parse(e.GetProperty("at").GetString()!, CultureInfo.InvariantCulture),
                e.GetProperty("kind").GetString()!, e.GetProperty("subject").GetString()!, e.GetProperty("data").GetString()!,
                e.GetProperty("prevHash").GetString()!, e.GetProperty("hash").GetString()!);
            Assert.Equal(stored[i] with { At = stored[i].At.ToUniversalTime() }, entry with { At = entry.At.ToUniversalTime() });
            Assert.Equal(entry.Hash, AuditChain.Hash(entry.Seq, entry.At, entry.Kind, entry.Subject, entry.Data, entry.PrevHash));
        }

        Assert.Equal("2026-11-21T20:00:05.0000000Z", JsonDocument.Parse(lines[0]).RootElement.GetProperty("at").GetString());
    }

    [Fact]
    public async Task Export_csv_to_a_file_round_trips_with_RFC_4180_quoting()
    {
        var file = Path.Combine(Prepared.Root, "export", "audit.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);

        var run = await RunAsync("audit", "export", "--format", "csv", "--output", file);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Output);
        Assert.Equal($"Exported {Prepared.AuditEntries} audit entries (seq 1-{Prepared.AuditEntries}) to {file}.", run.Error.Trim());
        Assert.Equal([file], Directory.GetFiles(Path.GetDirectoryName(file)!)); // no partial file left beside it
        var text = await File.ReadAllTextAsync(file);
        Assert.StartsWith("seq,at,kind,subject,data,prevHash,hash\r\n", text);
        Assert.EndsWith("\r\n", text);
        Assert.DoesNotContain("\n", text.Replace("\r\n", "", StringComparison.Ordinal)); // CRLF only
        var records = ParseCsv(text);
        Assert.Equal(["seq", "at", "kind", "subject", "data", "prevHash", "hash"], records[0]);
        var stored = await ReadAuditAsync();
        Assert.Equal(stored.Count, records.Count - 1);
        for (var i = 0; i < stored.Count; i++)
        {
            var e = stored[i];
            Assert.Equal([e.Seq.ToString(CultureInfo.InvariantCulture), e.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), e.Kind, e.Subject, e.Data, e.PrevHash, e.Hash], records[i + 1]);
        }

        // JSON data holds quotes and commas, so it is quoted with its quotes doubled.
        var started = stored.First(e => e.Kind == "grant.started");
        Assert.Contains($",\"{started.Data.Replace("\"", "\"\"", StringComparison.Ordinal)}\",", text);
    }

    [Fact]
    public async Task Export_from_a_sequence_number_on()
    {
        var run = await RunAsync("audit", "export", "--format", "json", "--from", "10");

        Assert.True(run.ExitCode == 0, run.ToString());
        var seqs = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("seq").GetInt64());
        Assert.Equal(Enumerable.Range(10, (int)Prepared.AuditEntries - 9).Select(i => (long)i), seqs);
    }

    [Fact]
    public async Task A_log_longer_than_a_page_is_exported_and_verified_whole()
    {
        var store = await SqliteStateStore.OpenAsync(Prepared.StatePath);
        await using (store)
        {
            var change = new StateChange();
            for (var i = 0; i < 1300; i++)
                change.Audit.Add(new AuditRecord(CliRun.Now.AddSeconds(i), "test.bulk", $"subject, \"{i}\"", $$"""{"i":{{i}},"note":"line one\nline two"}"""));
            await store.CommitAsync(change);
        }

        var total = Prepared.AuditEntries + 1300;
        var csv = await RunAsync("audit", "export", "--format", "csv");
        var json = await RunAsync("audit", "export", "--format", "json");
        var verify = await RunAsync("audit", "verify");

        Assert.True(csv.ExitCode == 0, csv.ToString());
        var records = ParseCsv(csv.Output);
        Assert.Equal(total + 1, records.Count);
        Assert.Equal($"subject, \"1299\"", records[^1][3]);
        Assert.Equal("{\"i\":1299,\"note\":\"line one\\nline two\"}", records[^1][4]);
        Assert.Equal(total, json.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.StartsWith($"Audit chain OK: {total:N0} entries verified (seq 1-{total}),", verify.Output);
    }

    [Theory]
    [InlineData(new[] { "--format", "xml" }, "'xml'")]
    [InlineData(new string[0], "--format")]
    [InlineData(new[] { "--format", "json", "--from", "0" }, "--from 0 is not a sequence number")]
    [InlineData(new[] { "--format", "json", "--from", "ten" }, "'ten'")]
    public async Task Bad_export_arguments_exit_2_with_one_line(string[] args, string mentions)
    {
        var run = await RunAsync(["audit", "export", .. args]);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Output);
        var line = ErrorLine(run);
        Assert.StartsWith("error: ", line);
        Assert.Contains(mentions, line);
    }

    [Fact]
    public async Task Export_into_a_folder_that_does_not_exist_exits_2_before_reading()
    {
        var file = Path.Combine(Prepared.Root, "no-such-folder", "audit.jsonl");

        var run = await RunAsync("audit", "export", "--format", "json", "--output", file);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("does not exist", ErrorLine(run));
        Assert.False(Directory.Exists(Path.GetDirectoryName(file)));
    }

    [Fact]
    public async Task Audit_without_a_subcommand_is_a_usage_error()
    {
        var run = await CliRun.RunAsync("audit");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.EndsWith("Run 'pimbridge audit --help' for usage.", ErrorLine(run));
    }

    private async Task<AuditEntry> HeadAsync()
    {
        var store = await SqliteStateStore.OpenAsync(Prepared.StatePath);
        await using (store)
            return (await store.GetAuditHeadAsync())!;
    }

    private async Task<List<AuditEntry>> ReadAuditAsync()
    {
        var entries = new List<AuditEntry>();
        var store = await SqliteStateStore.OpenAsync(Prepared.StatePath);
        await using (store)
        {
            await foreach (var entry in store.ReadAuditAsync())
                entries.Add(entry);
        }

        return entries;
    }

    /// <summary>An RFC 4180 reader: quoted fields may hold commas, doubled quotes, CR and LF; records end with CRLF.</summary>
    private static List<string[]> ParseCsv(string text)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"')
            {
                for (i++; ; i++)
                {
                    if (text[i] == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                    else if (text[i] == '"') { i++; break; }
                    else field.Append(text[i]);
                }
            }

            while (i < text.Length && text[i] is not (',' or '\r'))
                field.Append(text[i++]);
            fields.Add(field.ToString());
            field.Clear();
            if (i < text.Length && text[i] == ',')
            {
                i++;
                continue;
            }

            Assert.Equal("\r\n", text.Substring(i, 2));
            i += 2;
            records.Add([.. fields]);
            fields.Clear();
        }

        return records;
    }
}
