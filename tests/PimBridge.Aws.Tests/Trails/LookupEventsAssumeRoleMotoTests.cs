using System.Xml.Linq;
using Amazon.Runtime;
using Amazon.SecurityToken;
using PimBridge.Aws.Tests.Integration;
using PimBridge.Aws.Tests.Wire;
using PimBridge.Aws.Trails;
using PimBridge.Core.Gaps;
using PimBridge.Testing;

namespace PimBridge.Aws.Tests.Trails;

/// <summary>Real STS AssumeRole on moto (which accepts any role ARN); LookupEvents, which moto lacks, on the wire stub.</summary>
[Collection(MotoCollection.Name)]
public sealed class LookupEventsAssumeRoleMotoTests(MotoFixture moto)
{
    private const string Member = "950363612855";
    private const string Region = "ap-southeast-2";
    private const string User = "aidan.steele@glassechidna.com.au";

    /// <summary>Keeps each STS answer's body as moto sent it.</summary>
    private sealed class CapturingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        public List<string> Responses { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            lock (Responses) Responses.Add(body);
            return response;
        }
    }

    [Fact]
    public async Task The_credentials_moto_issues_for_the_audit_role_sign_the_LookupEvents_calls()
    {
        // Credentials from moto expire on the real clock; the source's clock starts at real now.
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow) { AutoAdvance = true };
        var capture = new CapturingHandler();
        using var sts = new AmazonSecurityTokenServiceClient(new BasicAWSCredentials("testing", "testing"), new AmazonSecurityTokenServiceConfig
        {
            ServiceURL = moto.Server.Endpoint.ToString(),
            AuthenticationRegion = MotoFixture.Region,
            HttpClientFactory = new HandlerHttpClientFactory(capture),
        });
        var trail = new LookupEventsStub(time);
        trail.Add(Member, Region, User, TrailJson.RoleSessionCall("e-1", time.GetUtcNow().AddMinutes(-10), Member, "AdministratorAccess", User));
        using var source = new LookupEventsTrailSource(new LookupEventsTrailSourceOptions
        {
            Regions = [Region],
            AuditRole = "PimBridgeAudit",
            ExternalId = "pimbridge-7f3a",
            SecurityTokenService = sts,
            TimeProvider = time,
            ConfigureCloudTrail = trail.Configure,
        });
        var query = new ActivityQuery([Member], time.GetUtcNow().AddHours(-2), time.GetUtcNow(), new TrailRecordFilter(["AdministratorAccess"], [User], []), NoTrailCursors.Instance) { UserNames = [User] };

        var batches = await source.ReadAsync(query).ToListAsync();

        var issued = XDocument.Parse(Assert.Single(capture.Responses)).Descendants().Single(e => e.Name.LocalName == "Credentials");
        string Value(string name) => issued.Elements().Single(e => e.Name.LocalName == name).Value;
        var result = XDocument.Parse(capture.Responses[0]).Descendants().Single(e => e.Name.LocalName == "AssumedRoleUser");
        Assert.Contains("assumed-role/PimBridgeAudit/pimbridge-gap-detector", result.Elements().Single(e => e.Name.LocalName == "Arn").Value);
        Assert.NotEqual("testing", Value("AccessKeyId"));
        Assert.All(trail.Calls, c => Assert.Equal(Value("AccessKeyId"), c.AccessKeyId));
        Assert.All(trail.Calls, c => Assert.Equal(Value("SessionToken"), c.SecurityToken));
        Assert.NotEmpty(trail.Calls);
        Assert.Equal(["e-1"], batches.SelectMany(b => b.Records).Select(r => r.EventId));
    }
}
