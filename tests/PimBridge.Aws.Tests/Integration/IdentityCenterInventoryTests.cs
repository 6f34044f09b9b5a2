using PimBridge.Aws.IdentityCenter;
using PimBridge.Aws.SsoAdmin;

namespace PimBridge.Aws.Tests.Integration;

/// <summary>IdentityCenterInventory (what <c>pimbridge init --from-aws</c> reads) against a real moto_server.</summary>
[Collection(MotoCollection.Name)]
public sealed class IdentityCenterInventoryTests(MotoFixture moto)
{
    private readonly MotoSeed _seed = new(moto);

    [Fact]
    public async Task Permission_sets_are_read_by_name_with_the_accounts_each_is_provisioned_to_in_name_order()
    {
        var instanceArn = await _seed.InstanceArnAsync();
        var provisioned = MotoSeed.Unique("inventory-b");
        var provisionedArn = await _seed.CreatePermissionSetAsync(provisioned);
        await moto.SsoAdmin.ProvisionPermissionSetAndWaitAsync(new ProvisionPermissionSetRequest
        {
            InstanceArn = instanceArn, PermissionSetArn = provisionedArn, TargetType = ProvisionTargetTypes.AwsAccount, TargetId = MotoSeed.AccountId,
        });

        var unprovisioned = MotoSeed.Unique("inventory-a");
        var unprovisionedArn = await _seed.CreatePermissionSetAsync(unprovisioned);

        var sets = await IdentityCenterInventory.PermissionSetsAsync(moto.SsoAdmin, instanceArn);

        var withAccounts = Assert.Single(sets, s => s.Name == provisioned);
        Assert.Equal(provisionedArn, withAccounts.Arn);
        // moto 5.2.1 ignores the provisioning target and lists its own account for any provisioned permission set.
        Assert.Equal(["123456789012"], withAccounts.Accounts);
        var without = Assert.Single(sets, s => s.Name == unprovisioned);
        Assert.Equal(unprovisionedArn, without.Arn);
        Assert.Empty(without.Accounts);
        Assert.Equal(sets.Select(s => s.Name).Order(StringComparer.OrdinalIgnoreCase), sets.Select(s => s.Name));
    }

    [Fact]
    public async Task The_instances_are_listed_with_their_identity_stores()
    {
        var instances = await IdentityCenterInventory.InstancesAsync(moto.SsoAdmin);

        var instance = Assert.Single(instances);
        Assert.Equal(await _seed.InstanceArnAsync(), instance.InstanceArn);
        Assert.Equal(await _seed.IdentityStoreIdAsync(), instance.IdentityStoreId);
    }
}
