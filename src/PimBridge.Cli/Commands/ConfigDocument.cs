using System.Text.Json.Serialization;
using PimBridge.Aws.Trails;
using PimBridge.Cli.Output;
using PimBridge.Core.Configuration;
using PimBridge.Core.Notifications;
using PimBridge.Notifications;

namespace PimBridge.Cli.Commands;

/// <summary>The <c>config validate --json</c> document (field names documented in docs/cli.md).</summary>
internal sealed record ConfigDocument(
    [property: JsonPropertyName("valid")] bool Valid,
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("problems")] IReadOnlyList<string> Problems,
    [property: JsonPropertyName("summary")] ConfigSummary? Summary)
{
    /// <summary>Values of a valid file that are still placeholders <c>pimbridge init</c> wrote, each with what to put there.</summary>
    [JsonPropertyName("placeholders")]
    public IReadOnlyList<string> Placeholders { get; init; } = [];
}

/// <summary>What a valid file sets up, in brief.</summary>
internal sealed record ConfigSummary(
    [property: JsonPropertyName("identityCenter")] IdentityCenterSummary IdentityCenter,
    [property: JsonPropertyName("mappings")] IReadOnlyList<MappingSummary> Mappings,
    [property: JsonPropertyName("store")] StoreSummary Store,
    [property: JsonPropertyName("sinks")] IReadOnlyList<SinkSummary> Sinks,
    [property: JsonPropertyName("gapSource")] GapSourceSummary? GapSource)
{
    public static ConfigSummary From(PimBridgeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var ic = settings.IdentityCenter;
        var storePath = Environment.GetEnvironmentVariable(StateStoreOptions.StoreVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : StateStoreOptions.DefaultSqliteFile;
        return new ConfigSummary(
            new IdentityCenterSummary(ic.InstanceArn, ic.Region, ic.IdentityStoreId, ic.MatchUsersBy),
            settings.Mappings.Select(m => new MappingSummary(
                m.Name, m.EntraGroupId, Formats.Name(m.Access), m.IdentityCenterGroup, m.PermissionSet, m.Accounts,
                m.MaxDuration is { } max ? Duration.Describe(max) : null, m.FenceSessions)).ToList(),
            new StoreSummary(Path.GetFullPath(storePath), File.Exists(storePath)),
            NotificationSinks.Routes(settings.Notifications).Zip(settings.Notifications.Sinks, (route, sink) => new SinkSummary(
                route.Sink, sink.Type.Trim().ToLowerInvariant(),
                [.. Enum.GetValues<NotificationKind>().Where(route.Kinds.Contains).Select(NotificationOutbox.KindName)],
                Formats.Severity(route.MinimumSeverity))).ToList(),
            settings.GapSource is { } source ? GapSourceSummary.From(source, ic.Region) : null);
    }

    /// <summary>The text form: a few lines a person reads at a glance.</summary>
    public IEnumerable<string> Lines(string file)
    {
        yield return $"valid: {file}";
        yield return $"Identity Center: {IdentityCenter.InstanceArn} in {IdentityCenter.Region} (identity store {IdentityCenter.IdentityStoreId}, users matched by {IdentityCenter.MatchUsersBy})";
        yield return $"Mappings: {Mappings.Count}";
        foreach (var m in Mappings)
        {
            var target = m.IdentityCenterGroup is { } group
                ? $"Identity Center group {group}"
                : $"permission set {m.PermissionSet} in {string.Join(", ", m.Accounts)}";
            var extras = string.Concat(m.MaxDuration is { } max ? $"; at most {max}" : "", m.FenceSessions ? "" : "; sessions not fenced");
            yield return $"  {m.Name}: Entra group {m.EntraGroupId} ({m.Access}) -> {target}{extras}";
        }

        yield return $"State store (not part of this file): {Store.SqlitePath}{(Store.Exists ? "" : " (does not exist yet)")} for the pimbridge commands, unless --store PATH or --dynamodb-table NAME says otherwise";
        yield return Sinks.Count == 0 ? "Notification sinks: none (alerts are only stored)" : $"Notification sinks: {Sinks.Count}";
        foreach (var s in Sinks)
            yield return $"  {s.Name}: {s.Type}; {string.Join(", ", s.Kinds)}{(s.Kinds.Contains("alert") ? $" (from {s.MinimumSeverity})" : "")}";
        yield return GapSource is { } gap
            ? $"Gap source: {gap.Type} ({gap.Where}){(gap.Regions.Count > 0 ? $" in {string.Join(", ", gap.Regions)}" : "")}"
            : "Gap source: none (the gap detector is off)";
    }
}

internal sealed record IdentityCenterSummary(
    [property: JsonPropertyName("instanceArn")] string InstanceArn,
    [property: JsonPropertyName("region")] string Region,
    [property: JsonPropertyName("identityStoreId")] string IdentityStoreId,
    [property: JsonPropertyName("matchUsersBy")] string MatchUsersBy);

internal sealed record MappingSummary(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("entraGroupId")] string EntraGroupId,
    [property: JsonPropertyName("access")] string Access,
    [property: JsonPropertyName("identityCenterGroup")] string? IdentityCenterGroup,
    [property: JsonPropertyName("permissionSet")] string? PermissionSet,
    [property: JsonPropertyName("accounts")] IReadOnlyList<string> Accounts,
    [property: JsonPropertyName("maxDuration")] string? MaxDuration,
    [property: JsonPropertyName("fenceSessions")] bool FenceSessions);

/// <summary>The SQLite file the <c>pimbridge</c> commands open by default ($PIMBRIDGE_STORE, else ./pimbridge.db).</summary>
internal sealed record StoreSummary(
    [property: JsonPropertyName("sqlitePath")] string SqlitePath,
    [property: JsonPropertyName("exists")] bool Exists);

internal sealed record SinkSummary(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("kinds")] IReadOnlyList<string> Kinds,
    [property: JsonPropertyName("minimumSeverity")] string MinimumSeverity);

internal sealed record GapSourceSummary(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("regions")] IReadOnlyList<string> Regions,
    [property: JsonPropertyName("where")] string Where)
{
    public static GapSourceSummary From(GapSourceOptions source, string identityCenterRegion)
    {
        ArgumentNullException.ThrowIfNull(source);
        var type = source.Type.Trim().ToLowerInvariant();
        var regions = source.Regions.Select(r => r.Trim()).ToList();
        if (regions.Count == 0 && type == TrailSources.LookupEvents)
            regions.Add(identityCenterRegion);
        var where = type switch
        {
            TrailSources.LookupEvents => $"role {source.AuditRoleName!.Trim()} in each account",
            TrailSources.S3 => $"s3://{source.Bucket!.Trim()}/{(string.IsNullOrWhiteSpace(source.Prefix) ? "" : source.Prefix.Trim().Trim('/') + "/")}AWSLogs/{(string.IsNullOrWhiteSpace(source.OrganizationId) ? "" : source.OrganizationId.Trim() + "/")}",
            _ => $"folder {Path.GetFullPath(source.Path!)}",
        };
        return new GapSourceSummary(type, regions, where);
    }
}
