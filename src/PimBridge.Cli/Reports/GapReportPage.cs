using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using PimBridge.Cli.Output;
using PimBridge.Core.Domain;
using PimBridge.Core.Gaps;

namespace PimBridge.Cli.Reports;

/// <summary>
/// One self-contained HTML page of gap alerts (<c>scan --html</c>, <c>alerts --html</c>): statistics, a timeline per
/// user and grant, and the alert table with filters. Everything is rendered here, on the server side: every value is
/// HTML-encoded text (user agents, session names and resource names come from whoever made the AWS call), none is ever
/// put in a link, a source or an event handler, and the page's one inline script only shows and hides rows. A
/// Content-Security-Policy forbids every network load and lets only that script (by its hash) run.
/// </summary>
internal sealed class GapReportPage
{
    /// <summary>
    /// The part of the timeline track given to the grant itself (activation to end); the rest is after the end, on a
    /// square-root scale so the first seconds and minutes after the end (removal, fence, the calls between) stay apart.
    /// </summary>
    private const double GrantShare = 0.22;

    public required string Title { get; init; }

    /// <summary>What made the page, for its heading: <c>pimbridge scan</c>.</summary>
    public required string Command { get; init; }

    public required DateTimeOffset GeneratedAt { get; init; }

    /// <summary>What was read (paths, the state store), one line each.</summary>
    public IReadOnlyList<string> Sources { get; init; } = [];

    /// <summary>Notes under the heading (what the table leaves out, and why).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    public IReadOnlyList<ReportStatistic> Statistics { get; init; } = [];

    /// <summary>What could not be read (damaged files), listed under the statistics.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    public IReadOnlyList<ReportTimeline> Timelines { get; init; } = [];

    /// <summary>The alert table's headers; each row has one cell per header.</summary>
    public required IReadOnlyList<string> Columns { get; init; }

    public IReadOnlyList<ReportRow> Rows { get; init; } = [];

    /// <summary>What the rows' <see cref="ReportRow.Class"/> and <see cref="ReportRow.User"/> are, for the filters' labels.</summary>
    public string ClassLabel { get; init; } = "Class";

    public string UserLabel { get; init; } = "User";

    /// <summary>The CSS class of a gap class's colour, for the names <see cref="GapAlert.ClassName"/> gives; null for anything else.</summary>
    public static string? ClassCss(string? className) =>
        className is not null && Enum.GetValues<GapClass>().Any(c => GapAlert.ClassName(c) == className) ? "c-" + className : null;

    public static string SeverityCss(AlertSeverity severity) => "s-" + Formats.Severity(severity);

    public string Render()
    {
        var html = new StringBuilder(64 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"").Append(ContentSecurityPolicy).Append("\">\n")
            .Append("<meta name=\"referrer\" content=\"no-referrer\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Encode(Title)).Append("</title>\n")
            .Append("<style>").Append(Style).Append("</style>\n</head>\n<body>\n");

        html.Append("<header>\n<h1>").Append(Encode(Title)).Append("</h1>\n<p class=\"meta\">")
            .Append(Encode($"{Command}, generated {Formats.Time(GeneratedAt)}")).Append("</p>\n");
        foreach (var source in Sources)
            html.Append("<p class=\"meta\">").Append(Encode(source)).Append("</p>\n");
        foreach (var note in Notes)
            html.Append("<p class=\"note\">").Append(Encode(note)).Append("</p>\n");
        html.Append("</header>\n");

        WriteStatistics(html);
        WriteTimelines(html);
        WriteTable(html);

        html.Append("<footer>Values from CloudTrail and PimBridge's store (user agents, session and resource names among them) are shown as text, never as links or markup. This page loads nothing from the network.</footer>\n")
            .Append("<script>").Append(Script).Append("</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    private void WriteStatistics(StringBuilder html)
    {
        html.Append("<section id=\"statistics\">\n<h2>Statistics</h2>\n<dl class=\"stats\">\n");
        foreach (var stat in Statistics)
        {
            html.Append("<div").Append(CssAttribute(stat.Css)).Append("><dt>").Append(Encode(stat.Name)).Append("</dt><dd>")
                .Append(Encode(stat.Value)).Append("</dd></div>\n");
        }

        html.Append("</dl>\n");
        if (Problems.Count > 0)
        {
            html.Append("<h3>Damaged files</h3>\n<ul class=\"problems\">\n");
            foreach (var problem in Problems)
                html.Append("<li>").Append(Encode(problem)).Append("</li>\n");
            html.Append("</ul>\n");
        }

        html.Append("</section>\n");
    }

    private void WriteTimelines(StringBuilder html)
    {
        html.Append("<section id=\"timelines\">\n<h2>Timelines</h2>\n");
        if (Timelines.Count == 0)
        {
            html.Append("<p class=\"empty\">No grant has activity after its end.</p>\n</section>\n");
            return;
        }

        html.Append("<p class=\"legend\">")
            .Append("<span><i class=\"mk m-activation\"></i>activation</span>")
            .Append("<span><i class=\"mk m-end\"></i>end</span>")
            .Append("<span><i class=\"mk m-removal\"></i>removal</span>")
            .Append("<span><i class=\"mk m-fence\"></i>fence</span>");
        foreach (var cls in Enum.GetValues<GapClass>())
            html.Append("<span><i class=\"dot c-").Append(GapAlert.ClassName(cls)).Append("\"></i>").Append(GapAlert.ClassName(cls)).Append("</span>");
        html.Append("<span><i class=\"dot blocked\"></i>blocked call (hollow)</span></p>\n")
            .Append("<p class=\"meta\">Each track runs from the activation (green: the grant) through the end; amber until the fence was confirmed, blue after it. Time after the end is on a square-root scale, so the first minutes stand apart; the list under each track gives the exact times.</p>\n");

        foreach (var timeline in Timelines)
            WriteTimeline(html, timeline);
        html.Append("</section>\n");
    }

    private static void WriteTimeline(StringBuilder html, ReportTimeline timeline)
    {
        var items = timeline.Items.OrderBy(i => i.At).ThenBy(i => i.Mark).ToList();
        var start = timeline.ActivatedAt is { } a && a < timeline.End ? a : (DateTimeOffset?)null;
        var last = items.Count == 0 ? timeline.End : items.Max(i => i.At);
        if (last <= timeline.End) last = timeline.End.AddMinutes(1);
        var fence = items.Where(i => i.Mark == TimelineMark.Fence).Select(i => (DateTimeOffset?)i.At).Min();

        double Position(DateTimeOffset t)
        {
            var after = start is null ? 0 : GrantShare;
            double p = t <= timeline.End && start is { } s
                ? GrantShare * (t - s).TotalSeconds / (timeline.End - s).TotalSeconds
                : after + (1 - after) * Math.Sqrt(Math.Max(0, (t - timeline.End).TotalSeconds / (last - timeline.End).TotalSeconds));
            return Math.Clamp(p, 0, 1) * 100;
        }

        html.Append("<article class=\"timeline\" data-user=\"").Append(Encode(timeline.User)).Append("\" data-grant=\"").Append(Encode(timeline.Grant)).Append("\">\n")
            .Append("<h3><span class=\"who\">").Append(Encode(timeline.User)).Append("</span> <span class=\"grant\">grant ")
            .Append(Encode(timeline.Grant)).Append("</span></h3>\n");
        if (timeline.Summary is { Length: > 0 } summary)
            html.Append("<p class=\"meta\">").Append(Encode(summary)).Append("</p>\n");

        html.Append("<div class=\"track\">");
        var endAt = Position(timeline.End);
        if (start is not null)
            html.Append("<div class=\"zone z-grant\" style=\"left:0;width:").Append(Percent(endAt)).Append("\"></div>");
        var fenceAt = fence is { } f ? Math.Max(Position(f), endAt) : 100;
        html.Append("<div class=\"zone z-open\" style=\"left:").Append(Percent(endAt)).Append(";width:").Append(Percent(fenceAt - endAt)).Append("\"></div>");
        if (fenceAt < 100)
            html.Append("<div class=\"zone z-fenced\" style=\"left:").Append(Percent(fenceAt)).Append(";width:").Append(Percent(100 - fenceAt)).Append("\"></div>");
        foreach (var item in items)
        {
            var css = item.Mark == TimelineMark.Event
                ? "dot " + (ClassCss(item.Class) ?? "c-other") + (item.Blocked == true ? " blocked" : "")
                : "mk " + MarkCss(item.Mark);
            html.Append("<i class=\"").Append(css).Append("\" style=\"left:").Append(Percent(Position(item.At)))
                .Append("\" title=\"").Append(Encode($"{Formats.Time(item.At)} {MarkName(item)}: {item.Text}")).Append("\"></i>");
        }

        html.Append("</div>\n<div class=\"axis\">");
        if (start is { } s0)
            html.Append("<span style=\"left:0\">").Append(Encode(Clock(s0))).Append("</span>");
        html.Append("<span style=\"left:").Append(Percent(endAt)).Append("\">end ").Append(Encode(Clock(timeline.End))).Append("</span>")
            .Append("<span class=\"right\">").Append(Encode(Clock(last))).Append("</span></div>\n");

        html.Append("<ol class=\"items\">\n");
        foreach (var item in items)
        {
            html.Append("<li class=\"item i-").Append(item.Mark == TimelineMark.Event ? "event" : MarkCss(item.Mark)[2..]).Append("\"><time>")
                .Append(Formats.Time(item.At)).Append("</time><span class=\"rel\">").Append(Encode(Relative(item.At - timeline.End))).Append("</span>");
            if (item.Mark == TimelineMark.Event)
            {
                html.Append("<span class=\"what\"><span class=\"badge ").Append(ClassCss(item.Class) ?? "c-other").Append("\">").Append(Encode(item.Class)).Append("</span>");
                if (item.Blocked is { } blocked)
                    html.Append(" <span class=\"outcome ").Append(blocked ? "o-blocked\">blocked" : "o-succeeded\">succeeded").Append("</span>");
                html.Append("</span>");
            }
            else
            {
                html.Append("<span class=\"what\"><i class=\"mk ").Append(MarkCss(item.Mark)).Append("\"></i>").Append(MarkName(item)).Append("</span>");
            }

            html.Append("<span class=\"text\">").Append(Encode(item.Text)).Append("</span></li>\n");
        }

        html.Append("</ol>\n</article>\n");
    }

    private void WriteTable(StringBuilder html)
    {
        html.Append("<section id=\"alerts\">\n<h2>Alerts</h2>\n<form class=\"filters\" autocomplete=\"off\">\n")
            .Append("<label>Severity <select id=\"filter-severity\" data-filter=\"rank\"><option value=\"0\">all</option>")
            .Append("<option value=\"1\">warning or above</option><option value=\"2\">critical</option></select></label>\n");
        WriteSelect(html, "class", ClassLabel, Rows.Select(r => r.Class));
        WriteSelect(html, "user", UserLabel, Rows.Select(r => r.User));
        WriteSelect(html, "account", "Account", Rows.Select(r => r.Account));
        html.Append("<output id=\"shown\">").Append(Formats.Count(Rows.Count, "alert")).Append("</output>\n</form>\n");

        if (Rows.Count == 0)
            html.Append("<p class=\"empty\">No alerts.</p>\n");
        html.Append("<div class=\"scroll\"><table id=\"alert-table\">\n<thead><tr>");
        foreach (var column in Columns)
            html.Append("<th>").Append(Encode(column)).Append("</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in Rows)
        {
            html.Append("<tr class=\"").Append(SeverityCss(row.Severity)).Append("\" data-rank=\"").Append((int)row.Severity)
                .Append("\" data-class=\"").Append(Encode(row.Class)).Append("\" data-user=\"").Append(Encode(row.User ?? ""))
                .Append("\" data-account=\"").Append(Encode(row.Account ?? "")).Append("\">");
            foreach (var cell in row.Cells)
                html.Append("<td").Append(CssAttribute(cell.Css)).Append('>').Append(Encode(cell.Text)).Append("</td>");
            html.Append("</tr>\n");
        }

        html.Append("</tbody>\n</table></div>\n</section>\n");
    }

    private static void WriteSelect(StringBuilder html, string key, string label, IEnumerable<string?> values)
    {
        html.Append("<label>").Append(Encode(label)).Append(" <select id=\"filter-").Append(key).Append("\" data-filter=\"").Append(key)
            .Append("\"><option value=\"\">all</option>");
        foreach (var value in values.Where(v => !string.IsNullOrEmpty(v)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            html.Append("<option value=\"").Append(Encode(value)).Append("\">").Append(Encode(value)).Append("</option>");
        html.Append("</select></label>\n");
    }

    private static string Encode(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>A class attribute from our own constant CSS names (never from data).</summary>
    private static string CssAttribute(string? css) => css is null ? "" : $" class=\"{css}\"";

    private static string Percent(double value) => value.ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private static string Clock(DateTimeOffset time) => time.UtcDateTime.ToString("HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Relative(TimeSpan sinceEnd) => sinceEnd == TimeSpan.Zero ? "end" : sinceEnd > TimeSpan.Zero
        ? $"end +{Durations.Describe(sinceEnd)}"
        : $"end −{Durations.Describe(-sinceEnd)}";

    private static string MarkCss(TimelineMark mark) => mark switch
    {
        TimelineMark.Activation => "m-activation",
        TimelineMark.End => "m-end",
        TimelineMark.Removal => "m-removal",
        TimelineMark.Fence => "m-fence",
        _ => "m-event",
    };

    private static string MarkName(TimelineItem item) => item.Mark switch
    {
        TimelineMark.Activation => "activation",
        TimelineMark.End => "end",
        TimelineMark.Removal => "removal",
        TimelineMark.Fence => "fence",
        _ => item.Class ?? "event",
    };

    /// <summary>The page's only script: it reads the filters and hides the rows they exclude. It never reads data into markup.</summary>
    private const string Script = """

        (function () {
          'use strict';
          var selects = Array.prototype.slice.call(document.querySelectorAll('select[data-filter]'));
          var rows = Array.prototype.slice.call(document.querySelectorAll('#alert-table tbody tr'));
          var shown = document.getElementById('shown');
          function apply() {
            var count = 0;
            rows.forEach(function (row) {
              var visible = selects.every(function (select) {
                var key = select.getAttribute('data-filter');
                var wanted = select.value;
                if (key === 'rank') return Number(row.getAttribute('data-rank')) >= Number(wanted);
                return wanted === '' || row.getAttribute('data-' + key) === wanted;
              });
              row.hidden = !visible;
              if (visible) count++;
            });
            shown.textContent = count + ' of ' + rows.length + ' alerts shown';
          }
          selects.forEach(function (select) { select.addEventListener('change', apply); });
          apply();
        })();

        """;

    /// <summary>Nothing from the network; styles inline; only <see cref="Script"/> runs (by its hash, so injected script could not).</summary>
    public static readonly string ContentSecurityPolicy =
        $"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Script)))}'; img-src data:; base-uri 'none'; form-action 'none'";

    private const string Style = """

        :root { --critical: #b3261e; --warning: #a15c00; --info: #4a6278; --blocked: #5f7d95; --before: #e08e0b; --after: #d32f2f; --minted: #7b1fa2;
                --activation: #2e7d32; --end: #212121; --removal: #795548; --fence: #1565c0; }
        * { box-sizing: border-box; }
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24; margin: 0 auto; padding: 18px 20px; max-width: 1640px; background: #fafbfc; }
        h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 26px 0 10px; border-bottom: 1px solid #d8dee4; padding-bottom: 4px; }
        h3 { font-size: 14px; margin: 0 0 4px; }
        .meta { color: #57606a; margin: 2px 0; overflow-wrap: anywhere; } .note { margin: 6px 0; color: #6e4b00; }
        .empty { color: #57606a; font-style: italic; }
        .stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 8px; margin: 0; }
        .stats > div { background: #fff; border: 1px solid #d8dee4; border-radius: 6px; padding: 6px 10px; border-left: 4px solid #d8dee4; }
        .stats dt { color: #57606a; font-size: 12px; } .stats dd { margin: 0; font-size: 18px; font-weight: 600; overflow-wrap: anywhere; }
        .problems { color: #6e4b00; overflow-wrap: anywhere; }
        .legend { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 12px; color: #57606a; }
        .legend span { display: inline-flex; align-items: center; gap: 5px; }
        .legend .mk, .legend .dot, .what .mk { position: static; transform: none; display: inline-block; }
        .timeline { background: #fff; border: 1px solid #d8dee4; border-radius: 6px; padding: 10px 14px 8px; margin: 0 0 12px; }
        .who { font-weight: 600; } .grant { color: #57606a; font-weight: 400; }
        .track { position: relative; height: 30px; margin: 10px 8px 2px; background: #f1f3f5; border-radius: 4px; }
        .zone { position: absolute; top: 0; bottom: 0; }
        .z-grant { background: #e3f1e4; } .z-open { background: #fdecc8; } .z-fenced { background: #e1ecf8; }
        .track .mk, .track .dot { position: absolute; top: 50%; transform: translate(-50%, -50%); }
        .mk { width: 3px; height: 30px; border-radius: 1px; }
        .legend .mk, .what .mk { height: 14px; }
        .m-activation { background: var(--activation); } .m-end { background: var(--end); } .m-removal { background: var(--removal); } .m-fence { background: var(--fence); }
        .dot { width: 13px; height: 13px; border-radius: 50%; border: 2px solid #fff; box-shadow: 0 0 0 1px #0003; background: #888; }
        .dot.c-blocked { background: var(--blocked); } .dot.c-succeeded-before-fence { background: var(--before); }
        .dot.c-succeeded-after-fence { background: var(--after); } .dot.c-credentials-after-expiry { background: var(--minted); }
        .dot.blocked { background: #fff; border: 3px solid var(--blocked); box-shadow: none; }
        .dot.blocked.c-credentials-after-expiry { border-color: var(--minted); }
        .axis { position: relative; height: 16px; margin: 0 8px 6px; font-size: 11px; color: #57606a; }
        .axis span { position: absolute; white-space: nowrap; } .axis .right { right: 0; }
        .items { list-style: none; margin: 0; padding: 0; font-size: 13px; }
        .item { display: grid; grid-template-columns: 12.5em 7.5em 20em 1fr; gap: 8px; padding: 3px 0; border-top: 1px solid #eef1f4; align-items: baseline; }
        .item time { font-variant-numeric: tabular-nums; color: #24292f; } .rel { color: #57606a; font-variant-numeric: tabular-nums; }
        .what { display: inline-flex; gap: 6px; align-items: center; } .text { overflow-wrap: anywhere; }
        .badge { display: inline-block; padding: 0 7px; border-radius: 10px; color: #fff; font-size: 12px; background: #6e7781; white-space: nowrap; }
        .badge.c-blocked { background: var(--blocked); } .badge.c-succeeded-before-fence { background: var(--before); }
        .badge.c-succeeded-after-fence { background: var(--after); } .badge.c-credentials-after-expiry { background: var(--minted); }
        .outcome { font-size: 12px; font-weight: 600; } .o-blocked { color: var(--blocked); } .o-succeeded { color: var(--critical); }
        .filters { display: flex; flex-wrap: wrap; gap: 8px 18px; align-items: center; margin: 0 0 10px; }
        .filters select { font: inherit; padding: 2px 4px; max-width: 22em; } #shown { color: #57606a; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; background: #fff; font-size: 12px; width: 100%; }
        th, td { border: 1px solid #d8dee4; padding: 3px 5px; text-align: left; vertical-align: top; }
        th { background: #f1f3f5; position: sticky; top: 0; }
        td { overflow-wrap: break-word; white-space: pre-line; }
        td.time { white-space: nowrap; font-variant-numeric: tabular-nums; } td.nowrap { white-space: nowrap; }
        td.long { min-width: 16em; max-width: 36em; } td.agent { max-width: 20em; } td.id { min-width: 7em; max-width: 12em; overflow-wrap: anywhere; }
        td.s-critical { color: var(--critical); font-weight: 700; } td.s-warning { color: var(--warning); font-weight: 600; } td.s-info { color: var(--info); }
        tr.s-critical { border-left: 4px solid var(--critical); } tr.s-warning { border-left: 4px solid var(--before); }
        td.c-blocked, td.c-succeeded-before-fence, td.c-succeeded-after-fence, td.c-credentials-after-expiry { font-weight: 600; white-space: nowrap; }
        td.c-blocked { color: var(--blocked); } td.c-succeeded-before-fence { color: var(--warning); } td.c-succeeded-after-fence { color: var(--after); } td.c-credentials-after-expiry { color: var(--minted); }
        .stats > .c-blocked { border-left-color: var(--blocked); } .stats > .c-succeeded-before-fence { border-left-color: var(--before); }
        .stats > .c-succeeded-after-fence { border-left-color: var(--after); } .stats > .c-credentials-after-expiry { border-left-color: var(--minted); }
        .stats > .s-critical { border-left-color: var(--critical); } .stats > .s-warning { border-left-color: var(--before); } .stats > .s-info { border-left-color: var(--info); }
        footer { margin: 24px 0 0; color: #57606a; font-size: 12px; }

        """;
}
