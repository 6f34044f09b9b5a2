using System.Net;
using PimBridge.Aws.IdentityCenter;

namespace PimBridge.Aws.Tests.Wire;

/// <summary>IdentityCenterInventory on the wire: the operations it sends, paging, and what it makes of the answers.</summary>
public sealed class InventoryWireTests
{
    private const string Instance = "arn:aws:sso:::instance/ssoins-1111111111111111";
    private const string Admin = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-aaaaaaaaaaaaaaaa";
    private const string Billing = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-bbbbbbbbbbbbbbbb";

    [Fact]
    public async Task Permission_sets_are_described_and_their_accounts_read_across_pages_sorted_and_once_each()
    {
        // The listing is read as it is used: each permission set is described before the next page is asked for.
        var handler = new RecordingHandler()
            .Respond($$"""{"PermissionSets":["{{Billing}}"],"NextToken":"p2"}""")
            .Respond($$$"""{"PermissionSet":{"Name":"billing","PermissionSetArn":"{{{Billing}}}","SessionDuration":"PT1H"}}""")
            .Respond("""{"AccountIds":[]}""")
            .Respond($$"""{"PermissionSets":["{{Admin}}"]}""")
            .Respond($$$"""{"PermissionSet":{"Name":"AdministratorAccess","PermissionSetArn":"{{{Admin}}}","Description":"Full access"}}""")
            .Respond("""{"AccountIds":["444455556666","111122223333"],"NextToken":"a2"}""")
            .Respond("""{"AccountIds":["111122223333","222233334444"]}""");
        using var client = WireClients.SsoAdmin(handler);

        var sets = await IdentityCenterInventory.PermissionSetsAsync(client, Instance);

        Assert.Equal(
            ["ListPermissionSets", "DescribePermissionSet", "ListAccountsForProvisionedPermissionSet", "ListPermissionSets", "DescribePermissionSet",
             "ListAccountsForProvisionedPermissionSet", "ListAccountsForProvisionedPermissionSet"],
            handler.Requests.Select(r => r.Operation));
        Assert.Equal("p2", handler.Requests[3].Json.GetProperty("NextToken").GetString());
        Assert.Equal(Admin, handler.Requests[5].Json.GetProperty("PermissionSetArn").GetString());
        Assert.Equal("a2", handler.Requests[6].Json.GetProperty("NextToken").GetString());
        Assert.Equal(["AdministratorAccess", "billing"], sets.Select(s => s.Name)); // by name, case aside
        Assert.Equal(["111122223333", "222233334444", "444455556666"], sets[0].Accounts);
        Assert.Equal("Full access", sets[0].Description);
        Assert.Equal(Billing, sets[1].Arn);
        Assert.Empty(sets[1].Accounts);
    }

    [Fact]
    public async Task A_refusal_is_the_clients_error_naming_the_operation()
    {
        var handler = new RecordingHandler().RespondError(HttpStatusCode.BadRequest,
            """{"__type":"AccessDeniedException","Message":"User is not authorized to perform: sso:ListPermissionSets"}""");
        using var client = WireClients.SsoAdmin(handler);

        var error = await Assert.ThrowsAsync<AwsServiceException>(() => IdentityCenterInventory.PermissionSetsAsync(client, Instance));

        Assert.Equal("ListPermissionSets", error.Operation);
        Assert.True(error.IsAccessDenied);
    }
}
