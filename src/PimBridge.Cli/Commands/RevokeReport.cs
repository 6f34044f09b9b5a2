using PimBridge.Cli.Output;
using PimBridge.Core.Domain;
using Spectre.Console;

namespace PimBridge.Cli.Commands;

internal static class RevokeReport
{
    public static async Task<RevokeDocument> BuildAsync(
        ConfiguredEngine engine, string user, string reason, IReadOnlyList<Grant> revoked, IReadOnlyList<string> keys, IReadOnlySet<string> userIds,
        bool finished, CancellationToken cancellationToken)
    {
        // Names as configured, for people: the ledger knows only ARNs and ids.
        var permissionSetNames = engine.Enforcer.Mappings.Where(m => m.PermissionSetArn is not null)
            .GroupBy(m => m.PermissionSetArn!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Rule.PermissionSet!, StringComparer.Ordinal);
        var groupNames = engine.Enforcer.Mappings.Where(m => m.IdentityCenterGroupId is not null)
            .GroupBy(m => m.IdentityCenterGroupId!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Rule.IdentityCenterGroup!, StringComparer.Ordinal);

        var grants = new List<RevokedGrant>();
        foreach (var grant in revoked)
        {
            var now = await engine.Store.GetGrantAsync(grant.Id, cancellationToken).ConfigureAwait(false) ?? grant;
            grants.Add(new RevokedGrant(now.Id, now.Mapping, now.User.UserName, now.User.UserId, now.GroupId, Formats.Time(now.Start),
                Time(now.End), Time(now.EndedAt)));
        }

        var entitlements = new List<RevokedEntitlement>();
        foreach (var key in keys)
        {
            var entry = await engine.Store.GetLedgerEntryAsync(key, cancellationToken).ConfigureAwait(false);
            if (entry is null) continue;
            var e = entry.Entitlement;
            var status = entry.Status switch
            {
                EntitlementStatus.Removed => "removed",
                EntitlementStatus.Removing => "removing",
                _ => "still-held", // a new activation granted it again in the meantime
            };
            var error = entry.Status == EntitlementStatus.Removing ? await engine.LastErrorAsync(IntentKind.RemoveEntitlement, [key], cancellationToken).ConfigureAwait(false) : null;
            entitlements.Add(e.Kind == EntitlementKind.AccountAssignment
                ? new RevokedEntitlement(key, "account-assignment", permissionSetNames.GetValueOrDefault(e.PermissionSetArn!, e.PermissionSetArn!), e.PermissionSetArn, e.AccountId, null, status, Time(entry.RemovedAt), error)
                : new RevokedEntitlement(key, "group-membership", null, null, null, groupNames.GetValueOrDefault(e.GroupId!, e.GroupId!), status, Time(entry.RemovedAt), error));
        }

        var fences = (await engine.Store.ListFencesAsync(openOnly: true, cancellationToken).ConfigureAwait(false))
            .Where(f => userIds.Contains(f.UserId))
            .OrderBy(f => f.PermissionSetName ?? f.PermissionSetArn, StringComparer.Ordinal)
            .Select(f => new RevokeFence(f.Id, f.PermissionSetName ?? permissionSetNames.GetValueOrDefault(f.PermissionSetArn, f.PermissionSetArn), f.PermissionSetArn,
                f.Accounts, Formats.Time(f.Cutoff), Formats.Time(f.Until), f.State.ToString().ToLowerInvariant(), Time(f.ActiveSince)))
            .ToList();
        return new RevokeDocument(user, reason, Revoked: true, grants, entitlements, fences, finished);
    }

    public static void WriteTable(IAnsiConsole console, RevokeDocument d)
    {
        var who = d.Grants.Count > 0 ? d.Grants[0].User : d.User;
        console.WriteLine($"Revoked {Formats.Count(d.Grants.Count, "grant")} of {who} (reason: {d.Reason}):");
        var grants = Table("Grant", "Mapping", "Entra group", "Started", "Was to end", "Ended");
        foreach (var g in d.Grants)
            grants.AddRow(Cells(g.Grant, g.Mapping, g.Group, g.Start, g.End ?? "no end", g.EndedAt ?? "-"));
        console.Write(grants);

        console.WriteLine($"AWS access ({Formats.Count(d.Entitlements.Count(e => e.Status == "removed"), "entitlement")} removed of {d.Entitlements.Count}):");
        var entitlements = Table("Access", "Account", "Status", "Removed at");
        foreach (var e in d.Entitlements)
        {
            var what = e.Kind == "account-assignment" ? $"permission set {e.PermissionSet}" : $"Identity Center group {e.IdentityCenterGroup}";
            entitlements.AddRow(Cells(what, e.Account ?? "-", e.Error is null ? e.Status : $"{e.Status}: {e.Error}", e.RemovedAt ?? "-"));
        }

        console.Write(entitlements);

        if (d.Fences.Count == 0)
        {
            console.WriteLine("Session fences: none (the mappings do not fence sessions, or no access was live).");
        }
        else
        {
            console.WriteLine("Session fences (sessions issued before the cutoff are denied until the fence lifts):");
            var fences = Table("Permission set", "Accounts", "Cutoff", "Until", "State");
            foreach (var f in d.Fences)
                fences.AddRow(Cells(f.PermissionSet, string.Join(", ", f.Accounts), f.Cutoff, f.Until, f.State));
            console.Write(fences);
        }

        console.WriteLine(d.Complete
            ? "Done: the access is removed in AWS and the fences are in force."
            : "Not finished yet: the running PimBridge (pimbridge serve) completes the rest; standard error lists what is pending.");
    }

    private static Table Table(params string[] headers)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in headers)
            table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))));
        return table;
    }

    private static Text[] Cells(params string[] values) => [.. values.Select(v => new Text(v))];

    private static string? Time(DateTimeOffset? time) => time is { } t ? Formats.Time(t) : null;
}
