using System.Text.Json.Serialization;
using PimBridge.Cli.Output;
using PimBridge.Core.Domain;
using Spectre.Console;

namespace PimBridge.Cli.Commands;

/// <summary>The <c>verify --json</c> document (docs/cli.md).</summary>
internal sealed record VerifyDocument(
    [property: JsonPropertyName("at")] string At,
    [property: JsonPropertyName("repair")] bool Repair,
    [property: JsonPropertyName("targets")] int Targets,
    [property: JsonPropertyName("targetsChecked")] int TargetsChecked,
    [property: JsonPropertyName("fencedPermissionSetsChecked")] int FencedPermissionSetsChecked,
    [property: JsonPropertyName("calls")] int Calls,
    [property: JsonPropertyName("drifts")] IReadOnlyList<VerifyDrift> Drifts,
    [property: JsonPropertyName("unchecked")] IReadOnlyList<string> Unchecked,
    [property: JsonPropertyName("limits")] IReadOnlyList<string> Limits,
    [property: JsonPropertyName("applied")] VerifyApplied? Applied)
{
    public static VerifyDocument From(DriftReport report, bool repair, TickTotals? ticks) => new(
        Formats.Time(report.At), repair, report.Targets, report.TargetsChecked, report.PermissionSetsChecked, report.Calls,
        report.Drifts.Select(d => new VerifyDrift(
            Kind(d.Kind), d.Subject, d.Entitlement?.UserId ?? d.Fence?.UserId, d.Entry?.UserName ?? d.Fence?.UserName,
            d.Entitlement?.GroupId, d.Entitlement?.PermissionSetArn ?? d.Fence?.PermissionSetArn, d.Entitlement?.AccountId,
            d.Fence?.Accounts, d.Finding, d.New, d.Repaired)).ToList(),
        report.Unchecked, report.Limits, ticks is { } t ? new VerifyApplied(t.Ticks, t.IntentsDone, t.IntentsFailed, t.Finished) : null);

    /// <summary>The kinds as the document names them.</summary>
    public static string Kind(DriftKind kind) => kind switch
    {
        DriftKind.Orphan => "orphan",
        DriftKind.MissingAccess => "missing-access",
        DriftKind.MissingFence => "missing-fence",
        _ => "standing-access",
    };

    public void WriteTable(IAnsiConsole console)
    {
        var verb = Repair ? "Found and repaired" : "Found";
        console.WriteLine($"Verified {TargetsChecked} of {Formats.Count(Targets, "mapped target")} and {Formats.Count(FencedPermissionSetsChecked, "fenced permission set")} in {Formats.Count(Calls, "call")} to IAM Identity Center.");
        if (Drifts.Count == 0)
        {
            console.WriteLine("No drift: Identity Center matches what PimBridge confirmed.");
            return;
        }

        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in new[] { "Drift", "User", "Where", "Finding", Repair ? "Repair" : "" })
        {
            if (header.Length == 0) continue;
            table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))));
        }

        foreach (var d in Drifts)
        {
            var where = d.Group is { } g ? $"group {g}" : d.Account is { } a ? $"{d.PermissionSet} in {a}" : $"{d.PermissionSet} in {string.Join(", ", d.FenceAccounts ?? [])}";
            var cells = new List<Text> { new(d.Kind), new(d.User ?? d.UserId ?? "-"), new(where), new(d.Finding) };
            if (Repair)
                cells.Add(new Text(d.Kind == "standing-access" ? (d.New ? "recorded; left in place" : "known; left in place") : d.Repaired == true ? "recorded" : "left to the engine (it changed meanwhile)"));
            table.AddRow(cells);
        }

        console.Write(table);
        var repairable = Drifts.Count(d => d.Kind != "standing-access");
        console.WriteLine($"{verb}: {Formats.Count(repairable, "drift")} to repair, {Formats.Count(Drifts.Count - repairable, "standing access", "standing accesses")} (never touched).");
        if (Applied is { } applied)
            console.WriteLine($"Applied in {Formats.Count(applied.Ticks, "tick")}: {Formats.Count(applied.StepsDone, "step")} done, {applied.StepsFailed} failed.");
        else if (!Repair && repairable > 0)
            console.WriteLine("Nothing was changed. Run `pimbridge verify --repair` to repair, or let the running PimBridge's sweep do it.");
    }
}

internal sealed record VerifyDrift(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("userId")] string? UserId,
    [property: JsonPropertyName("user")] string? User,
    [property: JsonPropertyName("group")] string? Group,
    [property: JsonPropertyName("permissionSet")] string? PermissionSet,
    [property: JsonPropertyName("account")] string? Account,
    [property: JsonPropertyName("fenceAccounts")] IReadOnlyList<string>? FenceAccounts,
    [property: JsonPropertyName("finding")] string Finding,
    [property: JsonPropertyName("new")] bool New,
    [property: JsonPropertyName("repaired")] bool? Repaired);

internal sealed record VerifyApplied(
    [property: JsonPropertyName("ticks")] int Ticks,
    [property: JsonPropertyName("stepsDone")] int StepsDone,
    [property: JsonPropertyName("stepsFailed")] int StepsFailed,
    [property: JsonPropertyName("finished")] bool Finished);
