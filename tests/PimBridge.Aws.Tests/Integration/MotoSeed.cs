using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Aws.Transport;

namespace PimBridge.Aws.Tests.Integration;

/// <summary>
/// Creates what PimBridge only reads (users, groups, permission sets) through the same signed transport, with the
/// operations' raw JSON: those operations are not part of PimBridge's typed surface.
/// </summary>
public sealed class MotoSeed(MotoFixture moto)
{
    private InstanceMetadata? _instance;

    public async Task<InstanceMetadata> InstanceAsync()
    {
        if (_instance is not null) return _instance;
        await foreach (var instance in moto.SsoAdmin.ListInstancesAsync())
            return _instance = instance;
        throw new InvalidOperationException("moto listed no Identity Center instance.");
    }

    /// <summary>
    /// Creates a user. Every user gets an email (by default its user name, or the user name at example.com): moto 5.2.1's
    /// GetUserId by <c>emails.value</c> walks all users and fails with HTTP 500 (TypeError) on one without Emails.
    /// </summary>
    public async Task<string> CreateUserAsync(string userName, string? email = null)
    {
        email ??= userName.Contains('@') ? userName : $"{userName}@example.com";
        var instance = await InstanceAsync();
        var body = new JsonObject
        {
            ["IdentityStoreId"] = instance.IdentityStoreId,
            ["UserName"] = userName,
            ["DisplayName"] = userName,
            ["Name"] = new JsonObject { ["GivenName"] = "Test", ["FamilyName"] = userName },
            ["Emails"] = new JsonArray(new JsonObject { ["Value"] = email, ["Type"] = "work", ["Primary"] = true }),
        };
        return (await SendAsync(moto.IdentityStore.Transport, "CreateUser", body))["UserId"]!.GetValue<string>();
    }

    public async Task<string> CreateGroupAsync(string displayName)
    {
        var instance = await InstanceAsync();
        var body = new JsonObject { ["IdentityStoreId"] = instance.IdentityStoreId, ["DisplayName"] = displayName };
        return (await SendAsync(moto.IdentityStore.Transport, "CreateGroup", body))["GroupId"]!.GetValue<string>();
    }

    public async Task<string> CreatePermissionSetAsync(string name, string sessionDuration = "PT4H")
    {
        var instance = await InstanceAsync();
        var body = new JsonObject
        {
            ["InstanceArn"] = instance.InstanceArn,
            ["Name"] = name,
            ["Description"] = $"{name} for tests",
            ["SessionDuration"] = sessionDuration,
        };
        return (await SendAsync(moto.SsoAdmin.Transport, "CreatePermissionSet", body))["PermissionSet"]!["PermissionSetArn"]!.GetValue<string>();
    }

    /// <summary>The account id the tests assign permission sets to.</summary>
    public const string AccountId = "111111111111";

    /// <summary>A second account id, for tests that need assignments in two accounts.</summary>
    public const string OtherAccountId = "222222222222";

    public async Task<string> InstanceArnAsync() => (await InstanceAsync()).InstanceArn!;

    public async Task<string> IdentityStoreIdAsync() => (await InstanceAsync()).IdentityStoreId!;

    /// <summary>Assigns the permission set through the typed client and returns the request, ready to delete it again.</summary>
    public async Task<AccountAssignmentRequest> AssignAsync(string permissionSetArn, string principalType, string principalId, string accountId = AccountId)
    {
        var request = new AccountAssignmentRequest
        {
            InstanceArn = await InstanceArnAsync(),
            TargetId = accountId,
            PermissionSetArn = permissionSetArn,
            PrincipalType = principalType,
            PrincipalId = principalId,
        };
        await moto.SsoAdmin.CreateAccountAssignmentAndWaitAsync(request);
        return request;
    }

    /// <summary>Adds the user to the group through the typed client and returns the membership id.</summary>
    public async Task<string> AddToGroupAsync(string groupId, string userId)
    {
        var created = await moto.IdentityStore.CreateGroupMembershipAsync(new GroupMembershipRequest
        {
            IdentityStoreId = await IdentityStoreIdAsync(),
            GroupId = groupId,
            MemberId = MemberId.User(userId),
        });
        return created.MembershipId ?? throw new InvalidOperationException("CreateGroupMembership answered without a MembershipId.");
    }

    /// <summary>
    /// Provisions the permission set through the typed client, so it counts as provisioned somewhere. moto's
    /// CreateAccountAssignment does not provision (AWS's does), and moto provisions to its own account 123456789012
    /// whatever the target.
    /// </summary>
    public async Task ProvisionAsync(string permissionSetArn, string accountId = AccountId)
    {
        await moto.SsoAdmin.ProvisionPermissionSetAndWaitAsync(new ProvisionPermissionSetRequest
        {
            InstanceArn = await InstanceArnAsync(),
            PermissionSetArn = permissionSetArn,
            TargetType = ProvisionTargetTypes.AwsAccount,
            TargetId = accountId,
        });
    }

    /// <summary>A name no other test uses, so tests share one server without resetting it.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(32, prefix.Length + 13)];

    private static async Task<JsonNode> SendAsync(AwsJsonTransport transport, string operation, JsonObject body)
    {
        var response = await transport.SendAsync(operation, Encoding.UTF8.GetBytes(body.ToJsonString()), CancellationToken.None);
        return JsonNode.Parse(response) ?? throw new JsonException($"{operation} answered JSON null.");
    }
}
