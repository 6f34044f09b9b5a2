using System.Text;
using System.Text.Json.Nodes;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Sandbox.Scenarios;

namespace PimBridge.Sandbox;

/// <summary>
/// Creates a scenario's Identity Center on moto: users, standing groups, permission sets with their session durations
/// and customer inline policies, the groups' account assignments, and a provisioning of each permission set.
/// PimBridge's typed clients do the assignments, policies and provisioning; creating users, groups and permission sets
/// is not something PimBridge ever does, so those three go as raw JSON bodies through the clients' <c>SendJsonAsync</c>.
/// </summary>
public sealed class IdentityCenterSeed(SsoAdminClient ssoAdmin, IdentityStoreClient identityStore)
{

    public async Task<SeededIdentityCenter> SeedAsync(Scenario scenario, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        InstanceMetadata? instance = null;
        await foreach (var i in ssoAdmin.ListInstancesAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            instance = i;
            break;
        }

        if (instance?.InstanceArn is not { } instanceArn || instance.IdentityStoreId is not { } storeId)
            throw new InvalidOperationException("moto_server listed no Identity Center instance; the sandbox needs moto 5.1 or later.");

        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var user in scenario.Users)
        {
            var body = new JsonObject
            {
                ["IdentityStoreId"] = storeId,
                ["UserName"] = user.UserName,
                ["DisplayName"] = user.Name,
                ["Name"] = new JsonObject { ["GivenName"] = user.Name, ["FamilyName"] = "Sandbox" },
                // moto's GetUserId walks every user's emails and fails on a user without one.
                ["Emails"] = new JsonArray(new JsonObject { ["Value"] = user.UserName, ["Type"] = "work", ["Primary"] = true }),
            };
            users[user.Name] = (await IdentityStoreAsync("CreateUser", body, cancellationToken).ConfigureAwait(false))["UserId"]!.GetValue<string>();
        }

        var permissionSets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var ps in scenario.PermissionSets)
        {
            var body = new JsonObject
            {
                ["InstanceArn"] = instanceArn,
                ["Name"] = ps.Name,
                ["Description"] = $"{ps.Name} (PimBridge sandbox)",
                ["SessionDuration"] = System.Xml.XmlConvert.ToString(ps.SessionDuration),
            };
            var arn = (await SsoAdminAsync("CreatePermissionSet", body, cancellationToken).ConfigureAwait(false))["PermissionSet"]!["PermissionSetArn"]!.GetValue<string>();
            permissionSets[ps.Name] = arn;
            if (ps.CustomerPolicy is { } policy)
            {
                await ssoAdmin.PutInlinePolicyToPermissionSetAsync(new PutInlinePolicyToPermissionSetRequest
                {
                    InstanceArn = instanceArn, PermissionSetArn = arn, InlinePolicy = policy,
                }, cancellationToken).ConfigureAwait(false);
            }
        }

        var groups = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var group in scenario.IdentityCenterGroups)
        {
            var body = new JsonObject { ["IdentityStoreId"] = storeId, ["DisplayName"] = group.Name };
            var groupId = (await IdentityStoreAsync("CreateGroup", body, cancellationToken).ConfigureAwait(false))["GroupId"]!.GetValue<string>();
            groups[group.Name] = groupId;
            foreach (var assignment in group.Assignments)
            {
                foreach (var account in assignment.Accounts)
                {
                    await ssoAdmin.CreateAccountAssignmentAndWaitAsync(new AccountAssignmentRequest
                    {
                        InstanceArn = instanceArn, TargetId = account, PermissionSetArn = permissionSets[assignment.PermissionSet],
                        PrincipalType = PrincipalTypes.Group, PrincipalId = groupId,
                    }, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        // Provisioned once, as AWS would have done on assignment (moto does not), so fence writes provision too.
        foreach (var arn in permissionSets.Values)
        {
            await ssoAdmin.ProvisionPermissionSetAndWaitAsync(new ProvisionPermissionSetRequest
            {
                InstanceArn = instanceArn, PermissionSetArn = arn, TargetType = ProvisionTargetTypes.AwsAccount,
                TargetId = scenario.Groups.SelectMany(g => g.Reach).SelectMany(r => r.Accounts).FirstOrDefault() ?? "111111111111",
            }, cancellationToken).ConfigureAwait(false);
        }

        return new SeededIdentityCenter(instanceArn, storeId, users, groups, permissionSets);
    }

    private async Task<JsonNode> SsoAdminAsync(string operation, JsonObject body, CancellationToken cancellationToken) =>
        Parse(operation, await ssoAdmin.SendJsonAsync(operation, Encoding.UTF8.GetBytes(body.ToJsonString()), cancellationToken).ConfigureAwait(false));

    private async Task<JsonNode> IdentityStoreAsync(string operation, JsonObject body, CancellationToken cancellationToken) =>
        Parse(operation, await identityStore.SendJsonAsync(operation, Encoding.UTF8.GetBytes(body.ToJsonString()), cancellationToken).ConfigureAwait(false));

    private static JsonNode Parse(string operation, byte[] response) =>
        JsonNode.Parse(response) ?? throw new InvalidOperationException($"moto_server answered {operation} with JSON null.");
}
