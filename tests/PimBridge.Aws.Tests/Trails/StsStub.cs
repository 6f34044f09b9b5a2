using System.Net;
using System.Text;
using System.Web;
using Amazon.Runtime;
using Amazon.SecurityToken;

namespace PimBridge.Aws.Tests.Trails;

/// <summary>
/// STS AssumeRole over the wire (query protocol, XML answers) for the real AWSSDK.SecurityToken client: issues keys
/// that name the account (<c>ASIA&lt;account&gt;&lt;n&gt;</c>) so a test can tell whose credentials signed a call, and
/// refuses the accounts in <see cref="Deny"/> with STS's AccessDenied.
/// </summary>
public sealed class StsStub(TimeProvider time) : HttpMessageHandler
{
    private readonly Lock _gate = new();
    private readonly List<IReadOnlyDictionary<string, string>> _requests = [];
    private int _issued;

    public HashSet<string> Deny { get; } = [];

    /// <summary>How long issued credentials last.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The form parameters of each AssumeRole request.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> Requests { get { lock (_gate) return [.. _requests]; } }

    /// <summary>A real STS client whose requests this stub answers (no retries, so a refusal is seen once).</summary>
    public AmazonSecurityTokenServiceClient Client() => new(new BasicAWSCredentials("AKIDPIMBRIDGEBASE001", "base-secret"), new AmazonSecurityTokenServiceConfig
    {
        ServiceURL = "https://sts.stub.test/",
        AuthenticationRegion = "us-east-1",
        HttpClientFactory = new HandlerHttpClientFactory(this),
        MaxErrorRetry = 0,
    });

    public static string KeyFor(string account, int serial) => $"ASIA{account}{serial:D4}";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = await request.Content!.ReadAsStringAsync(cancellationToken);
        var form = HttpUtility.ParseQueryString(body);
        var parameters = form.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => form[k]!);
        int serial;
        lock (_gate)
        {
            _requests.Add(parameters);
            serial = ++_issued;
        }

        var roleArn = parameters["RoleArn"];
        var account = roleArn.Split(':')[4];
        var session = parameters["RoleSessionName"];
        if (Deny.Contains(account))
        {
            return Xml(HttpStatusCode.Forbidden, $"""
                <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                  <Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::607481581596:assumed-role/pimbridge-host/i-0abc is not authorized to perform: sts:AssumeRole on resource: {roleArn}</Message></Error>
                  <RequestId>5b4e1f2a-0000-4000-8000-000000000001</RequestId>
                </ErrorResponse>
                """);
        }

        var expires = (time.GetUtcNow() + Lifetime).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        return Xml(HttpStatusCode.OK, $"""
            <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <AssumeRoleResult>
                <AssumedRoleUser>
                  <AssumedRoleId>AROA3XFRBF535PLBIFPI4:{session}</AssumedRoleId>
                  <Arn>arn:aws:sts::{account}:assumed-role/{roleArn.Split('/')[^1]}/{session}</Arn>
                </AssumedRoleUser>
                <Credentials>
                  <AccessKeyId>{KeyFor(account, serial)}</AccessKeyId>
                  <SecretAccessKey>secret-{account}-{serial}</SecretAccessKey>
                  <SessionToken>token-{account}-{serial}</SessionToken>
                  <Expiration>{expires}</Expiration>
                </Credentials>
              </AssumeRoleResult>
              <ResponseMetadata><RequestId>5b4e1f2a-0000-4000-8000-00000000000{serial % 10}</RequestId></ResponseMetadata>
            </AssumeRoleResponse>
            """);
    }

    private static HttpResponseMessage Xml(HttpStatusCode status, string xml) =>
        new(status) { Content = new StringContent(xml, Encoding.UTF8, "text/xml") };
}

/// <summary>Hands the AWS SDK an <see cref="HttpClient"/> over a given handler, so a real SDK client talks to a stub or a recorder.</summary>
public sealed class HandlerHttpClientFactory(HttpMessageHandler handler) : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(handler, disposeHandler: false);

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;
}
