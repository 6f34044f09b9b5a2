using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;

namespace PimBridge.Cli.Init;

/// <summary>
/// The <c>pimbridge.json</c> that <c>pimbridge init</c> writes: what it found (or placeholders), each setting explained
/// in a comment, and "REPLACE" where a person has to decide. The placeholders are valid values that match nothing real
/// (a nil group id, an all-zero account), so the file passes <c>pimbridge config validate</c>, which lists them
/// (<see cref="PlaceholdersIn"/>), and a mapping never reaches real access until a person has completed it.
/// </summary>
internal sealed class StarterConfiguration
{
    public const string PlaceholderInstanceArn = "arn:aws:sso:::instance/ssoins-0000000000000000";
    public const string PlaceholderIdentityStoreId = "d-0000000000";
    public const string PlaceholderGroupId = "00000000-0000-0000-0000-000000000000";

    /// <summary>A permission set name no instance has: serve and reconcile stop at it, naming the mapping.</summary>
    public const string PlaceholderPermissionSet = "REPLACE-ME";

    public const string PlaceholderAccount = "000000000000";

    private static readonly JsonSerializerOptions Strings = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Where the values came from, for the first line: "from AWS and Entra", "as a template".</summary>
    public required string Origin { get; init; }

    public required string InstanceArn { get; init; }
    public required string IdentityStoreId { get; init; }
    public required string Region { get; init; }

    /// <summary>Comment lines above the IdentityCenter section (what was read, and from where).</summary>
    public IReadOnlyList<string> IdentityCenterNotes { get; init; } = [];

    public required IReadOnlyList<StarterMapping> Mappings { get; init; }

    /// <summary>Comment lines above the mappings (what else was found, to copy into them).</summary>
    public IReadOnlyList<string> MappingNotes { get; init; } = [];

    public string? TenantId { get; init; }
    public string? GraphBaseUrl { get; init; }

    /// <summary>How many values a person still has to replace.</summary>
    public int PlaceholderCount =>
        (InstanceArn == PlaceholderInstanceArn ? 1 : 0) + (IdentityStoreId == PlaceholderIdentityStoreId ? 1 : 0)
        + Mappings.Sum(m => (m.EntraGroupId == PlaceholderGroupId ? 1 : 0) + (m.PermissionSet == PlaceholderPermissionSet ? 1 : 0) + (m.Accounts.Contains(PlaceholderAccount) ? 1 : 0));

    public string Render()
    {
        var text = new StringBuilder();
        void Line(int indent, string line) => text.Append(' ', indent).Append(line).Append('\n');
        void Comment(int indent, string line) => Line(indent, "// " + OneLine(line));

        Comment(0, $"PimBridge configuration, written by `pimbridge init` {Origin}.");
        Comment(0, "Every setting is described in docs/configuration.md. Comments like these, and trailing commas, are allowed.");
        Comment(0, "Replace each REPLACE below, then check the file with `pimbridge config validate`: it lists what is still a placeholder.");
        Line(0, "{");

        Comment(2, "IAM Identity Center: IAM Identity Center > Settings shows the instance ARN and the identity store id.");
        foreach (var note in IdentityCenterNotes) Comment(2, note);
        Line(2, "\"IdentityCenter\": {");
        if (InstanceArn == PlaceholderInstanceArn)
            Comment(4, "REPLACE: the instance ARN, arn:aws:sso:::instance/ssoins-… (or run `pimbridge init --from-aws --force` to read it from AWS).");
        Line(4, $"\"InstanceArn\": {Quote(InstanceArn)},");
        if (IdentityStoreId == PlaceholderIdentityStoreId)
            Comment(4, "REPLACE: the identity store id, d-… (same place).");
        Line(4, $"\"IdentityStoreId\": {Quote(IdentityStoreId)},");
        Comment(4, "The Region of the Identity Center instance.");
        Line(4, $"\"Region\": {Quote(Region)},");
        Comment(4, "How an Entra user finds their Identity Center user: \"userPrincipalName\" (matched to userName) or \"mail\" (matched to emails.value).");
        Line(4, "\"MatchUsersBy\": \"userPrincipalName\"");
        Line(2, "},");
        text.Append('\n');

        Comment(2, "Add your mappings here. Each gives the members PIM activates in one Entra group AWS access for as long as the activation lasts:");
        Comment(2, "a permission set in some accounts (\"AccountAssignments\"), or an Identity Center group (\"IdentityCenterGroup\": { \"DisplayName\": \"…\" }) instead.");
        Comment(2, "Standing (permanent) PIM assignments count only with \"IncludePermanent\": true. PimBridge needs at least one mapping.");
        foreach (var note in MappingNotes) Comment(2, note);
        Line(2, "\"Mappings\": [");
        for (var i = 0; i < Mappings.Count; i++)
            RenderMapping(Mappings[i], last: i == Mappings.Count - 1);
        Line(2, "],");
        text.Append('\n');

        Comment(2, "How PimBridge reads PIM through Microsoft Graph (docs/entra.md). \"Developer\" signs in as you (environment variables, `az login`, …)");
        Comment(2, "for `reconcile`, `doctor` and `init --from-entra` on this machine. A deployment uses \"ManagedIdentity\" or \"WorkloadIdentity\",");
        Comment(2, "and `pimbridge serve` also needs \"Subscriptions\" (docs/configuration.md, section Entra).");
        Line(2, "\"Entra\": {");
        var entra = new List<string> { "\"Mode\": \"Developer\"" };
        if (TenantId is { } tenant) entra.Add($"\"TenantId\": {Quote(tenant)}");
        if (GraphBaseUrl is { } graph) entra.Add($"\"GraphBaseUrl\": {Quote(graph)}");
        for (var i = 0; i < entra.Count; i++)
            Line(4, entra[i] + (i < entra.Count - 1 ? "," : ""));
        Line(2, "}");
        Line(0, "}");
        return text.ToString();

        void RenderMapping(StarterMapping m, bool last)
        {
            foreach (var note in m.Notes) Comment(4, note);
            Line(4, "{");
            Line(6, $"\"Name\": {Quote(m.Name)},");
            if (m.EntraGroupId == PlaceholderGroupId)
                Comment(6, "REPLACE: the Object ID of the Entra group whose PIM activations give this access (Entra > Groups; `pimbridge init --from-entra` lists the PIM-enabled ones).");
            Line(6, $"\"EntraGroupId\": {Quote(m.EntraGroupId)},");
            Comment(6, "\"member\" or \"owner\": which PIM-for-Groups relationship counts.");
            Line(6, $"\"Access\": {Quote(m.Access == PimAccess.Owner ? "owner" : "member")},");
            if (m.PermissionSet == PlaceholderPermissionSet || m.Accounts.Contains(PlaceholderAccount))
                Comment(6, "REPLACE: the permission set (name or ARN) and the 12-digit accounts to assign it in (`pimbridge init --from-aws` lists them).");
            Line(6, $"\"AccountAssignments\": {{ \"PermissionSet\": {Quote(m.PermissionSet)}, \"Accounts\": [ {string.Join(", ", m.Accounts.Select(Quote))} ] }},");
            Line(6, "\"IncludePermanent\": false");
            Line(4, last ? "}" : "},");
        }
    }

    /// <summary>
    /// The values of a valid configuration that are still placeholders <c>pimbridge init</c> wrote, each as "where: what
    /// to put there". They pass validation by design; PimBridge cannot work until they are replaced.
    /// </summary>
    public static IReadOnlyList<string> PlaceholdersIn(PimBridgeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var found = new List<string>();
        var ic = settings.IdentityCenter;
        if (ic.InstanceArn == PlaceholderInstanceArn)
            found.Add("IdentityCenter.InstanceArn: copy the instance ARN from IAM Identity Center > Settings, or run `pimbridge init --from-aws --force` to read it.");
        if (ic.IdentityStoreId == PlaceholderIdentityStoreId)
            found.Add("IdentityCenter.IdentityStoreId: copy the identity store id (d-…) from IAM Identity Center > Settings.");
        for (var i = 0; i < settings.Mappings.Count; i++)
        {
            var m = settings.Mappings[i];
            var at = $"Mappings[{i}] ('{m.Name}')";
            if (m.EntraGroupId == PlaceholderGroupId)
                found.Add($"{at}.EntraGroupId: put the Object ID of the Entra group whose PIM activations give this access (`pimbridge init --from-entra` lists the PIM-enabled groups).");
            if (m.PermissionSet == PlaceholderPermissionSet)
                found.Add($"{at}.AccountAssignments.PermissionSet: name the permission set to assign (`pimbridge init --from-aws` lists them).");
            if (m.Accounts.Contains(PlaceholderAccount))
                found.Add($"{at}.AccountAssignments.Accounts: list the 12-digit AWS accounts instead of {PlaceholderAccount}.");
        }

        return found;
    }

    private static string Quote(string value) => JsonSerializer.Serialize(value, Strings);

    /// <summary>A comment stays one line whatever a name from AWS or Entra holds.</summary>
    private static string OneLine(string text) => string.Concat(text.Select(c => char.IsControl(c) ? ' ' : c));
}
