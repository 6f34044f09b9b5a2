using System.Text.Json.Nodes;
using PimBridge.Sandbox;

namespace PimBridge.Cli.Commands;

/// <summary>
/// What <c>pimbridge sandbox --serve</c> prints once the world runs: where everything listens, who and what is in it,
/// and the exact commands to try, each ready to paste into a POSIX shell (bash, zsh, sh): activate PIM on the stub,
/// deliver the group's change notification to the webhook as Event Grid would, watch grants, fences and alerts.
/// </summary>
internal static class SandboxServeGuide
{
    /// <summary>Stands for the event id's shell part until the JSON is written (the id must change with each delivery).</summary>
    private const string SecondMarker = "@SECOND@";

    public static void Write(TextWriter output, LocalWorld world, Uri serve, string secret, bool keep)
    {
        var host = serve.ToString().TrimEnd('/');
        var control = world.Control.Url.ToString();
        var first = world.Users[0];
        var group = world.Groups[0];
        var store = world.StatePath;
        output.WriteLine("pimbridge sandbox --serve: a local world to explore. Nothing reaches Azure or AWS.");
        output.WriteLine();
        output.WriteLine($"  moto_server (AWS)  {world.MotoEndpoint}  Identity Center {world.Seeded.InstanceArn}, identity store {world.Seeded.IdentityStoreId}, {LocalWorld.Region}");
        output.WriteLine($"  Graph PIM stub     {world.GraphBaseUrl}  (PIM control: {control})");
        output.WriteLine($"  pimbridge serve    {host} (events POST /api/events, /healthz, /readyz, /metrics; the PIM poll is off)");
        output.WriteLine($"  configuration      {world.ConfigFile} (Entra.Mode LocalGraph: the stub, no sign-in)");
        output.WriteLine($"  state              {store}");
        output.WriteLine();
        output.WriteLine($"Users:  {string.Join(", ", world.Users.Select(Describe))}");
        output.WriteLine($"Groups: {string.Join($"{Environment.NewLine}        ", world.Groups.Select(g => $"{g.Name} (Entra group {g.EntraGroupId}): {g.Reaches}"))}");
        output.WriteLine();
        output.WriteLine($"1. Activate PIM: {first.Name} in {group.Name} for 1 hour (\"minutes\" works too; GET {control} shows who is active):");
        output.WriteLine($"   curl -sS -w '\\n' {control}/activate -H 'Content-Type: application/json' -d '{Body(first, group, hours: 1)}'");
        output.WriteLine();
        output.WriteLine("2. Deliver Graph's change notification for the group, as Event Grid would (PimBridge reads PIM when told; the poll is off):");
        foreach (var each in world.Groups)
        {
            output.WriteLine($"   {each.Name}:");
            output.WriteLine($"   curl -sS -w '\\n' {host}/api/events -H 'Content-Type: application/cloudevents+json; charset=utf-8' -H 'X-PimBridge-Secret: {secret}' -d '{CloudEvent(each, world.ClientState)}'");
        }

        output.WriteLine("   The event id ends in the current second: the webhook skips an id it has already handled.");
        output.WriteLine();
        output.WriteLine("3. Watch PimBridge act (in a clone, pimbridge is: dotnet run --project src/PimBridge.Cli --):");
        output.WriteLine($"   pimbridge grants --store {store}");
        output.WriteLine($"   pimbridge fences --store {store}");
        output.WriteLine($"   pimbridge alerts --store {store}");
        output.WriteLine($"   curl -sS {host}/metrics | grep -E '^pimbridge_(events|grants|fences)'");
        output.WriteLine();
        output.WriteLine("4. Deactivate early, then deliver the notification again (step 2); at its end an activation is removed without one:");
        output.WriteLine($"   curl -sS -w '\\n' {control}/deactivate -H 'Content-Type: application/json' -d '{Body(first, group, hours: null)}'");
        output.WriteLine();
        output.WriteLine($"Ctrl+C stops pimbridge serve, the Graph stub and moto_server, and {(keep ? "keeps" : "deletes")} the folder{(keep ? "" : " (--keep keeps it)")}.");
    }

    private static string Describe(PimUser user) => user.Name == LocalWorld.EntraOnlyUser
        ? $"{user.Name} ({user.UserPrincipalName}; in Entra only, so her activation raises an unmapped-user alert)"
        : $"{user.Name} ({user.UserPrincipalName})";

    private static string Body(PimUser user, PimGroup group, int? hours)
    {
        var body = new JsonObject { ["user"] = user.Name, ["group"] = group.Name };
        if (hours is { } h) body["hours"] = h;
        return body.ToJsonString();
    }

    /// <summary>
    /// A Microsoft.Graph.GroupUpdated CloudEvent (structured mode, as Event Grid delivers Graph's partner events) with
    /// the clientState the webhook checks. Its id ends in <c>$(date +%s)</c>, closed out of the single quotes.
    /// </summary>
    private static string CloudEvent(PimGroup group, string clientState)
    {
        var resource = $"Groups/{group.EntraGroupId}";
        var cloudEvent = new JsonObject
        {
            ["specversion"] = "1.0",
            ["type"] = "Microsoft.Graph.GroupUpdated",
            ["source"] = "/pimbridge/sandbox",
            ["id"] = $"{group.Name}-{SecondMarker}",
            ["subject"] = resource,
            ["datacontenttype"] = "application/json",
            ["data"] = new JsonObject
            {
                ["changeType"] = "updated",
                ["clientState"] = clientState,
                ["resource"] = resource,
                ["resourceData"] = new JsonObject { ["@odata.type"] = "#Microsoft.Graph.Group", ["@odata.id"] = resource, ["id"] = group.EntraGroupId },
            },
        };
        // The default encoder writes ' as \u0027, so nothing in the JSON can end the shell's single quotes early.
        return cloudEvent.ToJsonString().Replace(SecondMarker, "'\"$(date +%s)\"'", StringComparison.Ordinal);
    }
}
