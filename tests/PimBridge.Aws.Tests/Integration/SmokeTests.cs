using PimBridge.Aws.IdentityStore;

namespace PimBridge.Aws.Tests.Integration;

[Collection(MotoCollection.Name)]
public sealed class SmokeTests(MotoFixture moto)
{
    [Fact]
    public async Task Created_user_is_found_by_user_name()
    {
        var seed = new MotoSeed(moto);
        var instance = await seed.InstanceAsync();
        var name = MotoSeed.Unique("smoke") + "@example.com";
        var created = await seed.CreateUserAsync(name);

        var found = await moto.IdentityStore.GetUserIdAsync(new GetUserIdRequest
        {
            IdentityStoreId = instance.IdentityStoreId!,
            AlternateIdentifier = AlternateIdentifier.ByAttribute(UniqueAttributePaths.UserName, name),
        });

        Assert.Equal(created, found.UserId);
    }
}
