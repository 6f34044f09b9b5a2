using Amazon.Runtime;
using PimBridge.Aws.SsoAdmin;

namespace PimBridge.Benchmarks.Burst;

/// <summary>
/// moto_server, seeded as the model is. moto has no quotas and answers every asynchronous operation SUCCEEDED at once,
/// so only the clients' limiters pace the run: the second configuration, at the same client request rates.
/// </summary>
internal sealed class MotoAws : BurstAws
{
    private readonly MotoServer _moto;
    private readonly MotoSeeder _seeder;
    private readonly AWSCredentials _credentials = new BasicAWSCredentials("testing", "testing");
    private string _instanceArn = "";
    private string _identityStoreId = "";

    private MotoAws(MotoServer moto)
    {
        _moto = moto;
        _seeder = new MotoSeeder(moto.Endpoint, Region, _credentials);
    }

    public static async Task<MotoAws> StartAsync(double requestsPerSecond)
    {
        var aws = new MotoAws(await MotoServer.StartAsync());
        try
        {
            aws.CreateClients(aws._moto.Endpoint, aws._credentials, new SocketsHttpHandler { AllowAutoRedirect = false }, requestsPerSecond);
            var instance = await aws.SsoAdmin.ListInstancesAsync().FirstAsync();
            aws._instanceArn = instance.InstanceArn!;
            aws._identityStoreId = instance.IdentityStoreId!;
            await aws._seeder.CreatePermissionSetAsync(aws._instanceArn, BurstShapes.PermissionSetName, "PT1H");
            var readOnly = await aws._seeder.CreatePermissionSetAsync(aws._instanceArn, BurstShapes.GroupPermissionSetName, "PT1H");
            aws.GroupId = await aws._seeder.CreateGroupAsync(aws._identityStoreId, "BenchGroup");
            await aws.SsoAdmin.CreateAccountAssignmentAndWaitAsync(new AccountAssignmentRequest
            {
                InstanceArn = aws._instanceArn, TargetId = Accounts[0], PermissionSetArn = readOnly, PrincipalType = PrincipalTypes.Group, PrincipalId = aws.GroupId,
            });
            return aws;
        }
        catch
        {
            await aws.DisposeAsync();
            throw;
        }
    }

    public override string Name => "moto";

    public override string Describe => "moto_server (no quotas; asynchronous operations SUCCEEDED at once): only the clients' limiters pace the calls";

    public override string InstanceArn => _instanceArn;

    public override string IdentityStoreId => _identityStoreId;

    public override async Task SeedUsersAsync(IReadOnlyList<string> userNames)
    {
        foreach (var userName in userNames)
            await _seeder.CreateUserAsync(_identityStoreId, userName);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _seeder.Dispose();
        await _moto.DisposeAsync();
    }
}
