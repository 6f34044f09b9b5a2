using PimBridge.Core.Domain;
using PimBridge.Testing.Graph;

namespace PimBridge.Entra.Tests;

/// <summary>GraphPimGroups.ListAsync (which groups PIM for Groups governs) through the real Graph SDK against the loopback Graph stub.</summary>
public sealed class GraphPimGroupsTests : IClassFixture<GraphStubFixture>
{
    private const string Admins = "11111111-aaaa-4aaa-8aaa-111111111111";
    private const string Readers = "22222222-bbbb-4bbb-8bbb-222222222222";
    private const string Plain = "33333333-cccc-4ccc-8ccc-333333333333";
    private const string Dynamic = "44444444-dddd-4ddd-8ddd-444444444444";
    private const string Synced = "55555555-eeee-4eee-8eee-555555555555";
    private const string Unified = "66666666-ffff-4fff-8fff-666666666666";
    private const string Alice = "a11ce000-0000-4000-8000-000000000001";
    private const string EligibilityPath = "/identityGovernance/privilegedAccess/group/eligibilitySchedules";

    private readonly GraphStub _stub;
    private readonly PimTenant _tenant;

    public GraphPimGroupsTests(GraphStubFixture fixture)
    {
        _stub = fixture.Stub;
        _stub.Reset();
        _tenant = new PimTenant(_stub, pageSize: 2);
    }

    [Fact]
    public async Task Groups_with_an_eligibility_schedule_are_listed_with_their_names_and_which_relationships_are_eligible()
    {
        _tenant.AddDirectoryGroup(GraphJson.DirectoryGroup(Admins, "AWS Prod Admins"))
            .AddDirectoryGroup(GraphJson.DirectoryGroup(Plain, "All staff"))
            .AddDirectoryGroup(GraphJson.DirectoryGroup(Readers, "AWS Readers"))
            .AddDirectoryGroup(GraphJson.DirectoryGroup(Unified, "Platform team", groupTypes: ["Unified"], securityEnabled: false));
        _tenant.AddEligibility(GraphJson.EligibilitySchedule($"{Admins}_member_1", Alice, Admins))
            .AddEligibility(GraphJson.EligibilitySchedule($"{Admins}_owner_2", Alice, Admins, accessId: "owner"))
            .AddEligibility(GraphJson.EligibilitySchedule($"{Readers}_owner_3", Alice, Readers, accessId: "owner"))
            .AddEligibility(GraphJson.EligibilitySchedule($"{Unified}_member_4", Alice, Unified));

        var listing = await GraphPimGroups.ListAsync(StubCredential.ClientFor(_stub));

        Assert.Equal(4, listing.GroupsChecked);
        Assert.Equal(
            [
                new PimEnabledGroup(Admins, "AWS Prod Admins", [PimAccess.Member, PimAccess.Owner]),
                new PimEnabledGroup(Readers, "AWS Readers", [PimAccess.Owner]),
                new PimEnabledGroup(Unified, "Platform team", [PimAccess.Member]),
            ],
            listing.Groups,
            (a, b) => a.Id == b.Id && a.DisplayName == b.DisplayName && a.Eligible.SequenceEqual(b.Eligible));

        // The wire: the groups in two pages with the documented $select; PIM asked per group with the required filter.
        var pages = _stub.Received("GET", "/groups");
        Assert.Equal(2, pages.Count);
        Assert.Equal("id,displayName,groupTypes,securityEnabled,onPremisesSyncEnabled", pages[0].Query["$select"]);
        Assert.Equal("2", pages[1].Query["$skiptoken"]);
        var asked = _stub.Received("GET", EligibilityPath).Select(r => r.Query["$filter"]).ToList();
        Assert.Equal([$"groupId eq '{Admins}'", $"groupId eq '{Plain}'", $"groupId eq '{Readers}'", $"groupId eq '{Unified}'"], asked);
    }

    [Fact]
    public async Task Groups_PIM_for_Groups_cannot_govern_are_not_asked_about()
    {
        _tenant.AddDirectoryGroup(GraphJson.DirectoryGroup(Dynamic, "Everyone (dynamic)", groupTypes: ["DynamicMembership"]))
            .AddDirectoryGroup(GraphJson.DirectoryGroup(Synced, "Domain Admins", onPremisesSyncEnabled: true))
            .AddDirectoryGroup(GraphJson.DirectoryGroup(Plain, "Mailing list", securityEnabled: false));

        var listing = await GraphPimGroups.ListAsync(StubCredential.ClientFor(_stub));

        Assert.Empty(listing.Groups);
        Assert.Equal(0, listing.GroupsChecked);
        Assert.Empty(_stub.Received("GET", EligibilityPath));
    }

    [Fact]
    public async Task Permission_refusals_name_the_permission_that_is_missing()
    {
        _stub.On("GET", "/groups", _ => StubResponse.Error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."));

        var groups = await Assert.ThrowsAsync<PimGroupListingException>(() => GraphPimGroups.ListAsync(StubCredential.ClientFor(_stub)));

        Assert.Contains("HTTP 403 Authorization_RequestDenied", groups.Message);
        Assert.Contains("Group.Read.All", groups.Message);

        _stub.Reset();
        new PimTenant(_stub).AddDirectoryGroup(GraphJson.DirectoryGroup(Admins, "AWS Prod Admins"));
        _stub.On("GET", EligibilityPath, _ => StubResponse.Error(403, "AadPremiumLicenseRequired", "The tenant needs a Microsoft Entra ID P2 license."));

        var eligibility = await Assert.ThrowsAsync<PimGroupListingException>(() => GraphPimGroups.ListAsync(StubCredential.ClientFor(_stub)));

        Assert.Contains(Admins, eligibility.Message);
        Assert.Contains("PrivilegedEligibilitySchedule.Read.AzureADGroup", eligibility.Message);

        // Another failure is not put down to a permission.
        _stub.On("GET", EligibilityPath, _ => StubResponse.Error(400, "BadRequest", "Invalid filter clause."));

        var other = await Assert.ThrowsAsync<PimGroupListingException>(() => GraphPimGroups.ListAsync(StubCredential.ClientFor(_stub)));

        Assert.Contains("HTTP 400 BadRequest: Invalid filter clause", other.Message);
        Assert.DoesNotContain("PrivilegedEligibilitySchedule", other.Message);
    }
}
