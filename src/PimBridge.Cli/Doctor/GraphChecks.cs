using Azure.Core;
using Azure.Identity;
using PimBridge.Cli.Commands;
using PimBridge.Cli.Output;
using PimBridge.Core.Configuration;
using PimBridge.Entra;

namespace PimBridge.Cli.Doctor;

/// <summary>
/// Microsoft Graph: a token from the configured credential, then a PIM read of each mapped group, the same read the
/// poll makes. The permissions named in fixes are those docs/entra.md lists.
/// </summary>
internal static class GraphChecks
{
    private const string PimPermissions =
        "PrivilegedAssignmentSchedule.Read.AzureADGroup (PIM for Groups schedule instances) and User.Read.All (user names), as application permissions with admin consent";

    public static async Task RunAsync(DoctorRun run, DoctorContext context, CancellationToken cancellationToken)
    {
        if (context.Entra is not { } entra)
        {
            run.Record("graph-token", "Microsoft Graph sign-in", CheckOutcome.Skipped("needs valid Entra settings."));
            run.Record("graph-pim", "PIM reads", CheckOutcome.Skipped("needs valid Entra settings."));
            return;
        }

        var baseUrl = string.IsNullOrWhiteSpace(entra.GraphBaseUrl) ? GraphClients.DefaultBaseUrl : entra.GraphBaseUrl.TrimEnd('/');
        context.GraphSignedIn = await run.CheckAsync("graph-token", "Microsoft Graph sign-in", async ct =>
        {
            // A local Graph (the sandbox's stub) takes no token; the PIM reads below show whether it answers.
            if (context.Environment.GraphCredential is null && entra.ParsedMode == EntraCredentialMode.LocalGraph)
                return CheckOutcome.Pass($"Mode {EntraCredentialMode.LocalGraph}: no sign-in, Graph is the local emulator at {baseUrl}.");

            TokenCredential credential;
            try
            {
                credential = context.Environment.GraphCredential ?? EntraCredentials.Create(entra);
            }
            catch (ConfigurationException e)
            {
                return CheckOutcome.Fail(e.Problems[0], "Fix the Entra section's credential settings (docs/entra.md).");
            }

            var scope = Scope(baseUrl);
            try
            {
                var token = await credential.GetTokenAsync(new TokenRequestContext([scope]), ct).ConfigureAwait(false);
                var who = context.Environment.GraphCredential is null ? $"Mode {entra.ParsedMode}" : "the credential given by the process that runs this command";
                return CheckOutcome.Pass($"{who}: a token for {scope}, valid until {Formats.Time(token.ExpiresOn)}.");
            }
            catch (AuthenticationFailedException e)
            {
                return CheckOutcome.Fail($"Mode {entra.ParsedMode} got no token: {DoctorRun.FirstLine(e.Message)}", SignInFix(entra.ParsedMode));
            }
        }, cancellationToken).ConfigureAwait(false);

        if (!context.GraphSignedIn)
        {
            run.Record("graph-pim", "PIM reads", CheckOutcome.Skipped("needs a Graph token."));
            return;
        }

        if (context.Settings is not { } settings)
        {
            run.Record("graph-pim", "PIM reads", CheckOutcome.Skipped("needs a valid configuration file (it names the groups)."));
            return;
        }

        var graph = ConfiguredEngine.CreateGraph(entra, context.Environment);
        try
        {
            var skipped = new SkippedInstances();
            var pim = new GraphPimSource(graph, entra, skipped);
            foreach (var group in settings.Mappings.GroupBy(m => m.EntraGroupId, StringComparer.OrdinalIgnoreCase))
            {
                var mappings = string.Join(", ", group.Select(m => m.Name));
                await run.CheckAsync($"pim:{group.Key}", $"PIM read of group {group.Key}", async ct =>
                {
                    try
                    {
                        skipped.Take();
                        var snapshot = await pim.GetSnapshotAsync([group.Key], ct).ConfigureAwait(false);
                        var permanent = snapshot.Activations.Count(a => a.IsPermanent);
                        var unread = skipped.Take();
                        return CheckOutcome.Pass($"mapping {mappings}: {Formats.Count(snapshot.Activations.Count - permanent, "active activation")} and {Formats.Count(permanent, "permanent assignment")} now"
                            + (unread.Count == 0 ? "." : $"; {Formats.Count(unread.Count, "instance")} skipped, first: {unread[0]}"));
                    }
                    catch (GraphPimException e)
                    {
                        var index = settings.Mappings.ToList().FindIndex(m => string.Equals(m.EntraGroupId, group.Key, StringComparison.OrdinalIgnoreCase));
                        return CheckOutcome.Fail($"mapping {mappings}: {DoctorRun.FirstLine(e.Message)}", e.StatusCode switch
                        {
                            403 => $"Grant PimBridge's app {PimPermissions} (docs/entra.md).",
                            401 => "Graph refused the token: check Entra.TenantId and Entra.ClientId name PimBridge's app in the tenant that holds the groups.",
                            400 or 404 => $"Check Mappings[{index}].EntraGroupId: the group's Object ID, for a group onboarded to PIM for Groups.",
                            429 or >= 500 => "Graph is throttling or failing; run doctor again later.",
                            _ => $"Check network access to {baseUrl} (proxy: HTTPS_PROXY; another cloud: Entra.GraphBaseUrl).",
                        });
                    }
                }, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            graph.Dispose();
        }
    }

    /// <summary>The token scope the Graph client asks for (see <see cref="GraphClients"/>): Graph's, also for a loopback stand-in.</summary>
    private static string Scope(string baseUrl)
    {
        var root = new Uri(baseUrl, UriKind.Absolute);
        return $"{(root.IsLoopback ? "https://graph.microsoft.com" : root.GetLeftPart(UriPartial.Authority))}/.default";
    }

    private static string SignInFix(EntraCredentialMode? mode) => mode switch
    {
        EntraCredentialMode.ManagedIdentity => "Run where a managed identity is assigned (and Entra.ClientId names it when user-assigned), or choose another Entra.Mode for this machine (Developer uses your Azure CLI login).",
        EntraCredentialMode.WorkloadIdentity => "Check the federated credential of the app (issuer, subject) and that the token file exists (Entra.TokenFilePath or AZURE_FEDERATED_TOKEN_FILE).",
        EntraCredentialMode.ClientSecret => "Check Entra.TenantId, Entra.ClientId and that Entra.ClientSecret is current (secrets expire; create a new one under Certificates & secrets).",
        EntraCredentialMode.ClientCertificate => "Check Entra.TenantId, Entra.ClientId and that the certificate in Entra.CertificatePath is uploaded to the app and not expired.",
        _ => "Sign in (az login, azd auth login) or set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET; or choose another Entra.Mode.",
    };
}
