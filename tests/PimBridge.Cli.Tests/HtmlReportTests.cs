using System.Text.Json;
using PimBridge.Cli.Reports;
using PimBridge.Cli.Scanning;
using PimBridge.Core.Domain;
using PimBridge.Core.Gaps;

namespace PimBridge.Cli.Tests;

/// <summary>One headless Chromium for every HTML report test (they run one class after another in this collection).</summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public HeadlessChromium Browser { get; private set; } = null!;

    public async Task InitializeAsync() => Browser = await HeadlessChromium.StartAsync();

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ChromiumCollection : ICollectionFixture<ChromiumFixture>
{
    public const string Name = "Chromium";
}

/// <summary>What a browser shows of a report page: the script snippets the tests evaluate in it.</summary>
public static class ReportPageScript
{
    /// <summary>The cells of the alert table's rows that are displayed, as a JSON array of arrays.</summary>
    public const string VisibleRows =
        "[...document.querySelectorAll('#alert-table tbody tr')].filter(r => getComputedStyle(r).display !== 'none').map(r => [...r.cells].map(c => c.innerText))";

    /// <summary>Sets a filter as a person would (choosing an option by its text) and fires its change event.</summary>
    public static string Choose(string select, string optionText) =>
        $$"""
        (() => {
          const s = document.getElementById({{JsonSerializer.Serialize(select)}});
          const o = [...s.options].find(o => o.text === {{JsonSerializer.Serialize(optionText)}});
          if (!o) throw new Error('no option ' + {{JsonSerializer.Serialize(optionText)}});
          s.value = o.value;
          s.dispatchEvent(new Event('change', { bubbles: true }));
          return document.getElementById('shown').textContent;
        })()
        """;

    /// <summary>The statistics block as name → value.</summary>
    public const string Statistics =
        "Object.fromEntries([...document.querySelectorAll('#statistics dl > div')].map(d => [d.querySelector('dt').innerText, d.querySelector('dd').innerText]))";

    /// <summary>A timeline's list: each item's kind (activation, end, removal, fence, event) and its text.</summary>
    public static string TimelineItems(string grant) =>
        $"[...[...document.querySelectorAll('article.timeline')].find(a => a.dataset.grant === {JsonSerializer.Serialize(grant)}).querySelectorAll('ol.items > li')]" +
        ".map(li => [li.className.replace('item i-', ''), li.innerText.replace(/\\s+/g, ' ').trim()])";

    public static List<string[]> Rows(JsonElement rows) =>
        rows.EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetString() ?? "").ToArray()).ToList();
}

/// <summary>
/// The HTML report page itself, in real headless Chromium: the timelines, the filters, the statistics, and hostile
/// values (user agents, user and session names, event and resource names) that must stay text.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed class HtmlReportTests(ChromiumFixture chromium) : IDisposable
{
    private const string Alice = "alice@example.com";
    private const string Bob = "bob@example.com";
    private const string Prod = "111122223333";
    private const string Staging = "444455556666";
    private static readonly DateTimeOffset Start = new(2026, 11, 20, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset End = Start.AddHours(4);
    private static readonly DateTimeOffset BobEnd = End.AddHours(1);

    private static readonly GapWatchWindow AliceWindow = new(
        "grant-alice", "u-alice", Alice, "arn:aws:sso:::permissionSet/ssoins-1/ps-admin", "Admin", [Prod, Staging],
        End, End.AddHours(13), "fence-alice", FencedSince: End.AddMinutes(10), RemovedAt: End.AddMinutes(2)) { ActivatedAt = Start };

    private static readonly GapWatchWindow BobWindow = new(
        "grant-bob", "u-bob", Bob, "arn:aws:sso:::permissionSet/ssoins-1/ps-readonly", "ReadOnly", [Staging],
        BobEnd, BobEnd.AddHours(13), "fence-bob", FencedSince: BobEnd.AddMinutes(5), RemovedAt: BobEnd.AddMinutes(1)) { ActivatedAt = BobEnd.AddHours(-1) };

    private readonly string _folder = Directory.CreateTempSubdirectory("pimbridge-html-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static GapAlert Gap(GapWatchWindow window, GapClass cls, AlertSeverity severity, TimeSpan after, string account, string eventId, bool blocked = false) => new()
    {
        Class = cls,
        Severity = severity,
        EventId = eventId,
        EventTime = window.From + after,
        EventSource = "s3.amazonaws.com",
        EventName = blocked ? "PutObject" : "GetObject",
        GrantId = window.GrantId,
        UserId = window.UserId,
        UserName = window.UserName,
        PermissionSetName = window.PermissionSetName,
        AccountId = account,
        Region = "ap-southeast-2",
        SourceIpAddress = "198.51.100.7",
        UserAgent = "aws-cli/2.27.49 md/awscrt#0.26.1",
        ErrorCode = blocked ? "AccessDenied" : null,
        ExpiredAt = window.From,
        FencedSince = window.FencedSince,
        FenceId = window.FenceId,
        WasBlocked = blocked,
    };

    /// <summary>alice: a call before her fence, one after it, a denied one and credentials minted after the end; bob: a denied call.</summary>
    private static readonly GapAlert[] Alerts =
    [
        Gap(AliceWindow, GapClass.SucceededBeforeFence, AlertSeverity.Warning, TimeSpan.FromMinutes(5), Prod, "e-1"),
        Gap(AliceWindow, GapClass.SucceededAfterFence, AlertSeverity.Critical, TimeSpan.FromMinutes(20), Prod, "e-2"),
        Gap(AliceWindow, GapClass.Blocked, AlertSeverity.Info, TimeSpan.FromMinutes(25), Staging, "e-3", blocked: true),
        Gap(AliceWindow, GapClass.CredentialsAfterExpiry, AlertSeverity.Critical, TimeSpan.FromMinutes(30), Staging, "e-4"),
        Gap(BobWindow, GapClass.Blocked, AlertSeverity.Info, TimeSpan.FromMinutes(10), Staging, "e-5", blocked: true),
    ];

    private static TrailScanOutcome Outcome(IReadOnlyList<GapAlert> alerts, int windows = 2) =>
        new(alerts, new TrailScanStats { Files = 3, Records = 120, Bytes = 2_500_000, Candidates = 9, MalformedRecords = 2, DamagedFiles = 0 }, windows);

    private string Write(GapReportPage page)
    {
        var path = Path.Combine(_folder, $"report-{Guid.NewGuid():N}.html");
        File.WriteAllText(path, page.Render());
        return path;
    }

    private string WriteScanPage(IReadOnlyList<GapAlert> alerts, IReadOnlyList<GapWatchWindow> windows) =>
        Write(ScanReportPage.Create(Outcome(alerts), windows, AlertSeverity.Info, ["Trail files: /trails"], CliRun.Now));

    [Fact]
    public async Task The_timeline_of_a_user_and_grant_shows_activation_end_removal_fence_and_each_event()
    {
        await using var page = await chromium.Browser.OpenAsync(WriteScanPage(Alerts, [AliceWindow, BobWindow]));

        Assert.Equal(2, await page.CountAsync("document.querySelectorAll('article.timeline').length"));
        var items = (await page.EvaluateAsync(ReportPageScript.TimelineItems("grant-alice"))).EnumerateArray()
            .Select(i => (Kind: i[0].GetString()!, Text: i[1].GetString()!)).ToList();
        Assert.Equal(["activation", "end", "removal", "event", "fence", "event", "event", "event"], items.Select(i => i.Kind));
        Assert.StartsWith("2026-11-20T10:00:00Z end −4h 00m activation PIM activation started", items[0].Text);
        Assert.StartsWith("2026-11-20T14:00:00Z end end PIM access ended", items[1].Text);
        Assert.StartsWith("2026-11-20T14:02:00Z end +2m 00s removal access removal confirmed: Admin in 111122223333, 444455556666", items[2].Text);
        Assert.StartsWith("2026-11-20T14:05:00Z end +5m 00s succeeded-before-fence succeeded s3:GetObject as Admin in 111122223333", items[3].Text);
        Assert.StartsWith("2026-11-20T14:10:00Z end +10m 00s fence session fence confirmed: Admin in 111122223333, 444455556666 (fence-alice)", items[4].Text);
        Assert.StartsWith("2026-11-20T14:20:00Z end +20m 00s succeeded-after-fence succeeded", items[5].Text);
        Assert.StartsWith("2026-11-20T14:25:00Z end +25m 00s blocked blocked s3:PutObject as Admin in 444455556666", items[6].Text);
        Assert.Contains("error AccessDenied", items[6].Text, StringComparison.Ordinal);
        Assert.StartsWith("2026-11-20T14:30:00Z end +30m 00s credentials-after-expiry succeeded", items[7].Text);

        // The track: four marks, four events coloured by class, the blocked one hollow; all on the track, left to right.
        const string track = "document.querySelector('article.timeline[data-grant=\"grant-alice\"] .track')";
        Assert.Equal(4, await page.CountAsync($"{track}.querySelectorAll('.mk').length"));
        var dots = (await page.EvaluateAsync($"[...{track}.querySelectorAll('.dot')].map(d => [d.className, getComputedStyle(d).backgroundColor, getComputedStyle(d).borderTopColor, d.getBoundingClientRect().left])"))
            .EnumerateArray().Select(d => (Css: d[0].GetString()!, Fill: d[1].GetString()!, Border: d[2].GetString()!, Left: d[3].GetDouble())).ToList();
        Assert.Equal(["dot c-succeeded-before-fence", "dot c-succeeded-after-fence", "dot c-blocked blocked", "dot c-credentials-after-expiry"], dots.Select(d => d.Css));
        Assert.Equal(["rgb(224, 142, 11)", "rgb(211, 47, 47)", "rgb(255, 255, 255)", "rgb(123, 31, 162)"], dots.Select(d => d.Fill));
        Assert.Equal("rgb(95, 125, 149)", dots[2].Border);
        Assert.Equal(dots.Select(d => d.Left).Order(), dots.Select(d => d.Left));
        Assert.Equal("block", (await page.EvaluateAsync($"getComputedStyle({track}).display")).GetString());

        var bob = (await page.EvaluateAsync(ReportPageScript.TimelineItems("grant-bob"))).EnumerateArray().Select(i => i[0].GetString()).ToList();
        Assert.Equal(["activation", "end", "removal", "fence", "event"], bob);
    }

    [Fact]
    public async Task Filtering_by_severity_critical_hides_the_info_and_warning_rows()
    {
        await using var page = await chromium.Browser.OpenAsync(WriteScanPage(Alerts, [AliceWindow, BobWindow]));

        Assert.Equal(5, ReportPageScript.Rows(await page.EvaluateAsync(ReportPageScript.VisibleRows)).Count);
        Assert.Equal("5 of 5 alerts shown", await page.TextAsync("document.getElementById('shown').textContent"));

        Assert.Equal("2 of 5 alerts shown", (await page.EvaluateAsync(ReportPageScript.Choose("filter-severity", "critical"))).GetString());
        var critical = ReportPageScript.Rows(await page.EvaluateAsync(ReportPageScript.VisibleRows));
        Assert.Equal(["e-2", "e-4"], critical.Select(r => r[^1]));
        Assert.All(critical, r => Assert.Equal("critical", r[1]));

        await page.EvaluateAsync(ReportPageScript.Choose("filter-severity", "warning or above"));
        Assert.Equal(["warning", "critical", "critical"], ReportPageScript.Rows(await page.EvaluateAsync(ReportPageScript.VisibleRows)).Select(r => r[1]));

        await page.EvaluateAsync(ReportPageScript.Choose("filter-severity", "all"));
        await page.EvaluateAsync(ReportPageScript.Choose("filter-class", "blocked"));
        Assert.Equal(["e-3", "e-5"], ReportPageScript.Rows(await page.EvaluateAsync(ReportPageScript.VisibleRows)).Select(r => r[^1]));
    }

    [Fact]
    public async Task Filtering_by_user_and_account_shows_only_their_rows()
    {
        await using var page = await chromium.Browser.OpenAsync(WriteScanPage(Alerts, [AliceWindow, BobWindow]));

        Assert.Equal(["all", Alice, Bob], (await page.EvaluateAsync("[...document.getElementById('filter-user').options].map(o => o.text)")).EnumerateArray().Select(o => o.GetString()));
        Assert.Equal(["all", Prod, Staging], (await page.EvaluateAsync("[...document.getElementById('filter-account').options].map(o => o.text)")).EnumerateArray().Select(o => o.GetString()));

        await page.EvaluateAsync(ReportPageScript.Choose("filter-user", Alice));
        Assert.Equal(["e-1", "e-2", "e-3", "e-4"], ReportPageScript.Rows(await page.EvaluateAsync(ReportPageScript.VisibleRows)).Select(r => r[^1]));

        Assert.Equal("2 of 5 alerts shown", (await page.EvaluateAsync(ReportPageScript.Choose("filter-account", Staging))).GetString());
        var rows = ReportPageScript.Rows(await page.EvaluateAsync(ReportPageScript.VisibleRows));
        Assert.Equal(["e-3", "e-4"], rows.Select(r => r[^1]));
        Assert.All(rows, r => Assert.Equal(Staging, r[5]));

        await page.EvaluateAsync(ReportPageScript.Choose("filter-user", Bob));
        Assert.Equal(["e-5"], ReportPageScript.Rows(await page.EvaluateAsync(ReportPageScript.VisibleRows)).Select(r => r[^1]));
        await page.EvaluateAsync(ReportPageScript.Choose("filter-account", Prod));
        Assert.Empty(ReportPageScript.Rows(await page.EvaluateAsync(ReportPageScript.VisibleRows)));
        Assert.Equal("0 of 5 alerts shown", await page.TextAsync("document.getElementById('shown').textContent"));
    }

    [Fact]
    public async Task The_statistics_show_what_the_scan_read_and_found()
    {
        await using var page = await chromium.Browser.OpenAsync(WriteScanPage(Alerts, [AliceWindow, BobWindow]));

        var stats = (await page.EvaluateAsync(ReportPageScript.Statistics)).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.Equal("2", stats["Grant windows"]);
        Assert.Equal("3", stats["Files read"]);
        Assert.Equal("120", stats["Records"]);
        Assert.Equal("2.50 MB", stats["JSON read"]);
        Assert.Equal("2", stats["Malformed records"]);
        Assert.Equal("0", stats["Damaged files"]);
        Assert.Equal("5", stats["Alerts"]);
        Assert.Equal(["2", "1", "2"], [stats["critical"], stats["warning"], stats["info"]]);
        Assert.Equal(["2", "1", "1", "1"], [stats["blocked"], stats["succeeded-before-fence"], stats["succeeded-after-fence"], stats["credentials-after-expiry"]]);
        Assert.Equal("2", stats["Users with activity"]);
    }

    /// <summary>Values an attacker controls: a user agent, a session (user) name, event and resource names, a grant id.</summary>
    private static readonly string[] Hostile =
    [
        "<img src=x onerror=\"window.__pwned=1\">",
        "alice\"><script>window.__pwned=2</script>",
        "GetObject</script><script>window.__pwned=3</script>",
        "s3\"><img src=http://127.0.0.1:9/leak.png>",
        "<iframe src=\"javascript:window.__pwned=4\"></iframe>",
        "<a href=\"https://evil.example/\">open me</a>",
        "<style>body{display:none}</style>",
        "\" onmouseover=\"window.__pwned=5",
        "g'><svg onload=window.__pwned=6>",
    ];

    private string WriteHostilePage()
    {
        var window = AliceWindow with { UserName = Hostile[1], GrantId = Hostile[8], PermissionSetName = "Admin<b onclick=window.__pwned=7>" };
        GapAlert[] alerts =
        [
            Gap(window, GapClass.SucceededAfterFence, AlertSeverity.Critical, TimeSpan.FromMinutes(20), Prod, Hostile[7]) with
            {
                UserAgent = Hostile[0], EventName = Hostile[2], EventSource = Hostile[3], ErrorCode = Hostile[4], SourceIpAddress = Hostile[5], Region = Hostile[6],
            },
            Alerts[4],
        ];
        return WriteScanPage(alerts, [window, BobWindow]);
    }

    [Fact]
    public async Task Hostile_values_appear_as_literal_text_and_create_no_element()
    {
        var path = WriteHostilePage();
        await using var page = await chromium.Browser.OpenAsync(path);

        Assert.Equal(0, await page.CountAsync("document.querySelectorAll('img, iframe, svg, a, b, object, embed, [href], [src]').length"));
        Assert.Equal(1, await page.CountAsync("document.scripts.length"));
        Assert.Equal(1, await page.CountAsync("document.querySelectorAll('style').length"));
        Assert.Equal(0, await page.CountAsync("[...document.querySelectorAll('*')].flatMap(e => [...e.attributes]).filter(a => a.name.startsWith('on')).length"));
        Assert.Equal("undefined", await page.TextAsync("typeof window.__pwned"));
        Assert.Equal("block", await page.TextAsync("getComputedStyle(document.body).display"));

        var row = Assert.Single(ReportPageScript.Rows(await page.EvaluateAsync(ReportPageScript.VisibleRows)), r => r[1] == "critical");
        Assert.Equal(Hostile[1], row[3]);
        Assert.Equal(Hostile[6], row[6]);
        Assert.Equal($"succeeded ({Hostile[4]})", row[9]);
        Assert.Equal(Hostile[5], row[10]);
        Assert.Equal(Hostile[0], row[11]);
        Assert.Equal(Hostile[7], row[12]);
        Assert.Equal($"grant {Hostile[8]}", await page.TextAsync("[...document.querySelectorAll('article.timeline')].find(a => a.dataset.user.startsWith('alice')).querySelector('.grant').innerText"));
        var body = await page.TextAsync("document.body.innerText");
        foreach (var value in Hostile)
            Assert.Contains(value, body, StringComparison.Ordinal);

        // The hostile user name round-trips through the filter's option and the row's data attribute as text.
        Assert.Equal("1 of 2 alerts shown", (await page.EvaluateAsync(ReportPageScript.Choose("filter-user", Hostile[1]))).GetString());
        Assert.Equal("undefined", await page.TextAsync("typeof window.__pwned"));
        Assert.Equal([new Uri(path).AbsoluteUri], page.Requests);

        // In the file itself, no value broke out of its text: the only tags are the page's own.
        var html = await File.ReadAllTextAsync(path);
        Assert.Single(AllIndexes(html, "<script"));
        foreach (var tag in (string[])["<img", "<iframe", "<svg", "<a ", "<b ", "</script><script"])
            Assert.DoesNotContain(tag, html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_page_makes_no_network_request_and_its_policy_forbids_them()
    {
        var path = WriteScanPage(Alerts, [AliceWindow, BobWindow]);
        var html = await File.ReadAllTextAsync(path);
        foreach (var reference in (string[])["http:", "https:", "//", "url(", "@import", "src=", "href=", "<link", "<a "])
            Assert.DoesNotContain(reference, html, StringComparison.OrdinalIgnoreCase);

        await using var page = await chromium.Browser.OpenAsync(path);

        Assert.Equal([new Uri(path).AbsoluteUri], page.Requests);
        var policy = await page.TextAsync("document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]').content");
        Assert.StartsWith("default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-", policy, StringComparison.Ordinal);
        Assert.EndsWith("'; img-src data:; base-uri 'none'; form-action 'none'", policy, StringComparison.Ordinal);
        Assert.Equal(GapReportPage.ContentSecurityPolicy, policy);

        // The browser enforces it: an image from the network is refused (DevTools reports the attempt, blocked by "csp").
        var violated = await page.TextAsync("""
            new Promise(resolve => {
              document.addEventListener('securitypolicyviolation', e => resolve(e.effectiveDirective + ' ' + e.blockedURI));
              const image = new Image();
              image.src = 'http://127.0.0.1:9/beacon.png';
              document.body.append(image);
            })
            """);
        Assert.Equal("img-src http://127.0.0.1:9/beacon.png", violated);
        await page.EvaluateAsync("new Promise(resolve => setTimeout(resolve, 200))");
        Assert.Equal("csp", Assert.Single(page.Blocked, b => b.Key == "http://127.0.0.1:9/beacon.png").Value);
    }

    [Fact]
    public void Values_are_encoded_in_the_markup_itself()
    {
        var html = ScanReportPage.Create(Outcome([Alerts[0] with { UserAgent = "</script><script>alert(1)</script>" }], 1), [AliceWindow], AlertSeverity.Info, ["<b>"], CliRun.Now).Render();

        Assert.Contains("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("<p class=\"meta\">&lt;b&gt;</p>", html, StringComparison.Ordinal);
        Assert.Single(AllIndexes(html, "<script"));
        Assert.Single(AllIndexes(html, "</script>"));
    }

    [Fact]
    public async Task The_table_of_a_scan_with_no_alerts_says_so()
    {
        await using var page = await chromium.Browser.OpenAsync(WriteScanPage([], [AliceWindow]));

        Assert.Empty(ReportPageScript.Rows(await page.EvaluateAsync(ReportPageScript.VisibleRows)));
        Assert.Equal("No grant has activity after its end.", await page.TextAsync("document.querySelector('#timelines .empty').innerText"));
        Assert.Equal("No alerts.", await page.TextAsync("document.querySelector('#alerts .empty').innerText"));
    }

    private static List<int> AllIndexes(string text, string value)
    {
        var found = new List<int>();
        for (var i = text.IndexOf(value, StringComparison.OrdinalIgnoreCase); i >= 0; i = text.IndexOf(value, i + 1, StringComparison.OrdinalIgnoreCase))
            found.Add(i);
        return found;
    }
}
