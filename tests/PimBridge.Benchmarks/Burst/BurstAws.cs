using Amazon.Runtime;
using PimBridge.Aws;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;

namespace PimBridge.Benchmarks.Burst;

/// <summary>
/// The AWS a burst runs against, seeded with what PimBridge only reads: two permission sets (<see cref="BurstShapes.PermissionSetName"/>
/// for the assignments, <see cref="BurstShapes.GroupPermissionSetName"/> assigned to the Identity Center group in the
/// first account), the group, three accounts and the users. PimBridge's own sso-admin and Identity Store clients talk
/// to it through a <see cref="WireLog"/>, each paced by its client limiter at <c>rps</c>, as the host's are.
/// </summary>
internal abstract class BurstAws : IAsyncDisposable
{
    protected const string Region = "eu-west-1";

    public static readonly IReadOnlyList<string> Accounts = ["111111111111", "222222222222", "333333333333"];

    private SsoAdminClient? _ssoAdmin;
    private IdentityStoreClient? _identityStore;

    /// <summary>"model" or "moto".</summary>
    public abstract string Name { get; }

    /// <summary>One line on what this AWS enforces.</summary>
    public abstract string Describe { get; }

    public abstract string InstanceArn { get; }

    public abstract string IdentityStoreId { get; }

    /// <summary>The Identity Center group the group shapes grant membership of.</summary>
    public string GroupId { get; protected set; } = "";

    public WireLog Wire { get; protected set; } = null!;

    public SsoAdminClient SsoAdmin => _ssoAdmin ?? throw new InvalidOperationException("not started");

    public IdentityStoreClient IdentityStore => _identityStore ?? throw new InvalidOperationException("not started");

    /// <summary>Calls this AWS refused for its request quotas, by operation (only the model has quotas).</summary>
    public virtual IReadOnlyDictionary<string, int> RefusedForQuota => new Dictionary<string, int>();

    /// <summary>Clears the wire's counts and the quota refusals, at the start of a measured phase.</summary>
    public virtual void Reset() => Wire.Reset();

    /// <summary>Creates the users, one per activation, named as PIM's principals' UPNs.</summary>
    public abstract Task SeedUsersAsync(IReadOnlyList<string> userNames);

    protected void CreateClients(Uri endpoint, AWSCredentials credentials, HttpMessageHandler wire, double requestsPerSecond)
    {
        Wire = new WireLog(wire);
        T Configure<T>(T options) where T : AwsClientOptions
        {
            options.Region = Region;
            options.Endpoint = endpoint;
            options.Credentials = credentials;
            options.RequestsPerSecond = requestsPerSecond;
            options.HttpHandler = Wire;
            return options;
        }

        _ssoAdmin = new SsoAdminClient(Configure(new SsoAdminClientOptions()));
        _identityStore = new IdentityStoreClient(Configure(new IdentityStoreClientOptions()));
    }

    public virtual ValueTask DisposeAsync()
    {
        _ssoAdmin?.Dispose();
        _identityStore?.Dispose();
        return ValueTask.CompletedTask;
    }
}
