using System.Text.Json;
using static PimBridge.Cli.Tests.TrailFolder;

namespace PimBridge.Cli.Tests;

/// <summary><c>pimbridge scan --html FILE</c> end to end: the trail files of <see cref="TrailFolder"/>, the page opened in Chromium.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class ScanHtmlCommandTests(ChromiumFixture chromium) : IDisposable
{
    private readonly TrailFolder _trails = new();

    public void Dispose() => _trails.Dispose();

    private string Report => Path.Combine(_trails.Root, "report.html");

    [Fact]
    public async Task Scan_html_writes_the_report_and_still_prints_the_table()
    {
        var run = await CliRun.RunAsync("scan", _trails.Trails, "--grants", _trails.WriteGrants(), "--html", Report);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"Scanned {FileCount} files (", run.Output, StringComparison.Ordinal);
        Assert.Contains(AfterFence, run.Output, StringComparison.Ordinal);
        Assert.Equal($"Report written to {Report}", run.Error.TrimEnd());
        var alerts = int.Parse(System.Text.RegularExpressions.Regex.Match(run.Output, @"Alerts: (\d+) \(").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

        await using var page = await chromium.Browser.OpenAsync(Report);
        var rows = ReportPageScript.Rows(await page.EvaluateAsync(ReportPageScript.VisibleRows));
        Assert.Equal(alerts, rows.Count);
        Assert.Equal(rows.Select(r => r[0]).Order(StringComparer.Ordinal), rows.Select(r => r[0]));
        Assert.Equal(
            ["2026-11-20T14:20:00Z", "critical", "succeeded-after-fence", User, PermissionSet, Account, "ap-southeast-2", "s3:GetObject", "20m 00s", "succeeded", "198.51.100.7"],
            rows.Single(r => r[^1] == AfterFence)[..11]);
        Assert.Equal(["info", "blocked"], rows.Single(r => r[^1] == DeniedByFence)[1..3]);
        Assert.Equal("blocked (AccessDenied)", rows.Single(r => r[^1] == DeniedByFence)[9]);
        Assert.Equal("credentials-after-expiry", rows.Single(r => r[^1] == CredentialsMinted)[2]);

        var stats = (await page.EvaluateAsync(ReportPageScript.Statistics)).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.Equal("1", stats["Grant windows"]);
        Assert.Equal($"{FileCount}", stats["Files read"]);
        Assert.Equal("1", stats["Damaged files"]);
        Assert.Equal($"{alerts}", stats["Alerts"]);
        Assert.Contains("broken.json.gz: ", await page.TextAsync("document.querySelector('.problems').innerText"), StringComparison.Ordinal);

        // The grants file gives no activation time: alice's timeline starts at the end, then her removal, her fence and
        // every call, in time order.
        Assert.Equal(User, await page.TextAsync("document.querySelector('article.timeline .who').innerText"));
        var items = (await page.EvaluateAsync(ReportPageScript.TimelineItems("pim-alice-admin"))).EnumerateArray()
            .Select(i => (Kind: i[0].GetString()!, Time: i[1].GetString()![..20])).ToList();
        Assert.Equal(["end", "removal", "fence"], items.Where(i => i.Kind != "event").Select(i => i.Kind));
        Assert.Equal(["2026-11-20T14:00:00Z", "2026-11-20T14:02:00Z", "2026-11-20T14:10:00Z"], items.Where(i => i.Kind != "event").Select(i => i.Time));
        Assert.Equal(alerts, items.Count(i => i.Kind == "event"));
        Assert.Equal(items.Select(i => i.Time).Order(StringComparer.Ordinal), items.Select(i => i.Time));
    }

    [Fact]
    public async Task Scan_html_shows_what_scan_json_says()
    {
        var run = await CliRun.RunAsync("scan", _trails.Trails, "--grants", _trails.WriteGrants(), "--json", "--html", Report);

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Output); // standard output is still one JSON document
        var alerts = document.RootElement.GetProperty("alerts").EnumerateArray().ToList();
        var json = document.RootElement.GetProperty("stats");

        await using var page = await chromium.Browser.OpenAsync(Report);
        var rows = ReportPageScript.Rows(await page.EvaluateAsync(ReportPageScript.VisibleRows));
        Assert.Equal(alerts.Select(a => a.GetProperty("eventId").GetString()), rows.Select(r => r[^1]));
        Assert.Equal(alerts.Select(a => a.GetProperty("severity").GetString()), rows.Select(r => r[1]));
        Assert.Equal(alerts.Select(a => a.GetProperty("class").GetString()), rows.Select(r => r[2]));
        Assert.Equal(alerts.Select(a => a.GetProperty("eventTime").GetString()), rows.Select(r => r[0]));

        var stats = (await page.EvaluateAsync(ReportPageScript.Statistics)).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        string Number(string name) => json.GetProperty(name).GetInt64().ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Number("windows"), stats["Grant windows"]);
        Assert.Equal(Number("files"), stats["Files read"]);
        Assert.Equal(Number("records"), stats["Records"]);
        Assert.Equal(Number("malformedRecords"), stats["Malformed records"]);
        Assert.Equal(Number("damagedFiles"), stats["Damaged files"]);
        Assert.Equal(Number("alerts"), stats["Alerts"]);
        foreach (var severity in json.GetProperty("bySeverity").EnumerateObject())
            Assert.Equal($"{severity.Value.GetInt32()}", stats[severity.Name]);
        foreach (var cls in json.GetProperty("byClass").EnumerateObject())
            Assert.Equal($"{cls.Value.GetInt32()}", stats[cls.Name]);
    }

    [Fact]
    public async Task Scan_html_lists_what_severity_lets_through_and_overwrites_the_file()
    {
        await File.WriteAllTextAsync(Report, "an older report");

        var run = await CliRun.RunAsync("scan", _trails.Trails, "--grants", _trails.WriteGrants(), "--json", "--severity", "critical", "--html", Report);

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        var stats = document.RootElement.GetProperty("stats");
        var below = stats.GetProperty("alerts").GetInt32() - stats.GetProperty("alertsShown").GetInt32();
        Assert.StartsWith("<!DOCTYPE html>", await File.ReadAllTextAsync(Report), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(_trails.Root, "*.tmp"));

        await using var page = await chromium.Browser.OpenAsync(Report);
        Assert.Equal([AfterFence, CredentialsMinted], ReportPageScript.Rows(await page.EvaluateAsync(ReportPageScript.VisibleRows)).Select(r => r[^1]));
        Assert.Equal($"{below} alerts below critical (--severity) are counted in the statistics but not listed.", await page.TextAsync("document.querySelector('.note').innerText"));
    }

    [Fact]
    public async Task Scan_html_in_a_folder_that_does_not_exist_exits_2_before_reading()
    {
        var missing = Path.Combine(_trails.Root, "no-such-folder", "report.html");

        var run = await CliRun.RunAsync("scan", _trails.Trails, "--grants", _trails.WriteGrants(), "--html", missing);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Output);
        Assert.Equal($"error: The folder '{Path.GetDirectoryName(missing)}' for --html does not exist; create it or give a path in an existing folder.", Assert.Single(run.Error.TrimEnd().Split('\n')));
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public async Task Scan_html_naming_a_folder_exits_2()
    {
        var run = await CliRun.RunAsync("scan", _trails.Trails, "--grants", _trails.WriteGrants(), "--html", _trails.Root);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Output);
        Assert.StartsWith($"error: --html '{_trails.Root}' is a folder; give a file name in it", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scan_html_in_a_folder_that_cannot_be_written_exits_2()
    {
        var folder = UnwritableFolder(_trails.Root);
        var path = Path.Combine(folder, "report.html");

        var run = await CliRun.RunAsync("scan", _trails.Trails, "--grants", _trails.WriteGrants(), "--html", path);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Output);
        var line = Assert.Single(run.Error.TrimEnd().Split('\n'));
        Assert.StartsWith($"error: Cannot write the --html report in '{folder}' (", line, StringComparison.Ordinal);
        Assert.EndsWith("); check the folder's permissions or give another path.", line, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    /// <summary>
    /// A folder this process cannot create files in: a read-only temporary folder, or (as root, whom file modes do not
    /// stop) sysfs, where nobody can.
    /// </summary>
    internal static string UnwritableFolder(string root)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("The unwritable-folder tests expect Linux (sysfs, file modes).");
        if (Environment.UserName == "root")
        {
            Assert.True(Directory.Exists("/sys"), "/sys is not mounted; these tests need sysfs when they run as root.");
            return "/sys";
        }

        var folder = Directory.CreateDirectory(Path.Combine(root, "read-only")).FullName;
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        return folder;
    }
}

/// <summary><c>pimbridge alerts --html FILE</c> over the <see cref="PreparedStore"/>, the page opened in Chromium.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class AlertsHtmlCommandTests(ChromiumFixture chromium) : PreparedStoreTests
{
    private string Report => Path.Combine(Prepared.Root, "alerts.html");

    [Fact]
    public async Task Alerts_html_writes_every_listed_alert_and_a_timeline_per_gap_grant()
    {
        var run = await RunAsync("alerts", "--html", Report);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("4 alerts: 1 critical, 1 warning, 2 info.", run.Output, StringComparison.Ordinal);
        Assert.Equal($"Report written to {Report}", run.Error.TrimEnd());

        await using var page = await chromium.Browser.OpenAsync(Report);
        var rows = ReportPageScript.Rows(await page.EvaluateAsync(ReportPageScript.VisibleRows));
        Assert.Equal(["gap.blocked", "gap.succeeded-after-fence", "gap.blocked", "unmapped-user"], rows.Select(r => r[2]));
        var unmapped = rows[3];
        Assert.Equal(["2026-11-22T08:00:00Z", "warning", "unmapped-user", "carol-entra@contoso.com", ""], unmapped[..5]);
        Assert.Contains("principal: carol-entra", unmapped[6], StringComparison.Ordinal);
        Assert.Contains("mapping: ops-admin", unmapped[6], StringComparison.Ordinal);
        Assert.Contains("userAgent: aws-cli/2.27.49 Python/3.13.4 \"quoted\", with a comma", rows[1][6], StringComparison.Ordinal);

        // One timeline per user and grant of a gap alert; none for the engine's alert.
        Assert.Equal(["dave@example.com", PreparedStore.Alice, PreparedStore.Bob], (await page.EvaluateAsync("[...document.querySelectorAll('article.timeline')].map(a => a.dataset.user)")).EnumerateArray().Select(u => u.GetString()));
        var aliceGrant = Prepared.Alerts.Single(a => a.Kind == "gap.succeeded-after-fence").Facts!["grant"];
        var alice = (await page.EvaluateAsync(ReportPageScript.TimelineItems(aliceGrant))).EnumerateArray().Select(i => (Kind: i[0].GetString()!, Text: i[1].GetString()!)).ToList();
        Assert.Equal(["activation", "end", "removal", "fence", "event"], alice.Select(i => i.Kind));
        Assert.StartsWith("2026-11-21T20:00:00Z", alice[0].Text, StringComparison.Ordinal);
        Assert.StartsWith("2026-11-21T21:00:00Z end end", alice[1].Text, StringComparison.Ordinal);
        Assert.Contains("succeeded-after-fence succeeded s3:GetObject as Admin in", alice[4].Text, StringComparison.Ordinal);
        Assert.Contains("2h 10m after the end", alice[4].Text, StringComparison.Ordinal);

        // dave's grant is no longer in the store: his timeline has what the facts say.
        var dave = (await page.EvaluateAsync(ReportPageScript.TimelineItems("g-dave-archived"))).EnumerateArray().Select(i => i[0].GetString()).ToList();
        Assert.Equal(["end", "event"], dave);

        Assert.Equal("1 of 4 alerts shown", (await page.EvaluateAsync(ReportPageScript.Choose("filter-severity", "critical"))).GetString());
        await page.EvaluateAsync(ReportPageScript.Choose("filter-severity", "all"));
        Assert.Equal("2 of 4 alerts shown", (await page.EvaluateAsync(ReportPageScript.Choose("filter-class", "gap.blocked"))).GetString());
        Assert.Equal("1 of 4 alerts shown", (await page.EvaluateAsync(ReportPageScript.Choose("filter-user", PreparedStore.Bob))).GetString());
    }

    [Fact]
    public async Task Alerts_html_holds_only_what_the_filters_let_through()
    {
        var run = await RunAsync("alerts", "--severity", "warning", "--json", "--html", Report);

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        Assert.Equal(2, document.RootElement.GetArrayLength());

        await using var page = await chromium.Browser.OpenAsync(Report);
        Assert.Equal(["critical", "warning"], ReportPageScript.Rows(await page.EvaluateAsync(ReportPageScript.VisibleRows)).Select(r => r[1]));
        Assert.Contains("Alerts at warning or above, raised from 2026-11-21T23:20:00Z to 2026-11-22T08:00:00Z.", await page.TextAsync("document.querySelector('header').innerText"), StringComparison.Ordinal);
        var stats = (await page.EvaluateAsync(ReportPageScript.Statistics)).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.Equal("2", stats["Alerts"]);
        Assert.Equal("1", stats["Engine alerts"]);
        Assert.Equal("1", stats["succeeded-after-fence"]);
    }

    [Fact]
    public async Task Alerts_html_in_a_folder_that_does_not_exist_exits_2_and_lists_nothing()
    {
        var missing = Path.Combine(Prepared.Root, "no-such-folder", "alerts.html");

        var run = await RunAsync("alerts", "--html", missing);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Output);
        Assert.Equal($"error: The folder '{Path.GetDirectoryName(missing)}' for --html does not exist; create it or give a path in an existing folder.", ErrorLine(run));
    }

    [Fact]
    public async Task Alerts_html_in_a_folder_that_cannot_be_written_exits_2()
    {
        var folder = ScanHtmlCommandTests.UnwritableFolder(Prepared.Root);

        var run = await RunAsync("alerts", "--html", Path.Combine(folder, "alerts.html"));

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Output);
        Assert.StartsWith($"error: Cannot write the --html report in '{folder}' (", ErrorLine(run), StringComparison.Ordinal);
    }
}
