using System.Net;
using System.Text;
using System.Xml.Linq;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Azure.Identity;
using PimBridge.Aws.Credentials;
using PimBridge.Aws.Tests.Integration;
using PimBridge.Aws.Tests.Trails;
using PimBridge.Core.Configuration;
using PimBridge.Testing;

namespace PimBridge.Aws.Tests.Credentials;

/// <summary>
/// The managed identity's Entra token exchanged for AWS credentials with a real STS AssumeRoleWithWebIdentity on moto
/// (which does not verify the token), and STS's refusals from a local stand-in.
/// </summary>
[Collection(MotoCollection.Name)]
public sealed class ManagedIdentityWebIdentityCredentialsTests(MotoFixture moto)
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/pimbridge-bridge";

    // Credentials from moto expire on the real clock; the credentials' clock starts at real now and moves only by Advance.
    private readonly ManualTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly FakeEntraToken _entra = new();

    private ManagedIdentityWebIdentityCredentials Credentials(StsExchangeRecorder recorder, Action<WebIdentityCredentialsOptions>? configure = null)
    {
        var options = new WebIdentityCredentialsOptions { RoleArn = RoleArn, TimeProvider = _time };
        configure?.Invoke(options);
        var sts = new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), new AmazonSecurityTokenServiceConfig
        {
            ServiceURL = moto.Server.Endpoint.ToString(),
            AuthenticationRegion = MotoFixture.Region,
            HttpClientFactory = new HandlerHttpClientFactory(recorder),
            MaxErrorRetry = 0,
        });
        return new ManagedIdentityWebIdentityCredentials(_entra, sts, options, ownsSts: true);
    }

    private static string Issued(StsExchange exchange, string name) =>
        XDocument.Parse(exchange.ResponseBody).Descendants().Single(e => e.Name.LocalName == name).Value;

    [Fact]
    public async Task The_Entra_token_for_the_audience_is_exchanged_for_the_credentials_moto_issues()
    {
        using var recorder = new StsExchangeRecorder();
        using var credentials = Credentials(recorder);

        var issued = await credentials.GetCredentialsAsync();

        var exchange = Assert.Single(recorder.Exchanges);
        Assert.Equal(200, exchange.Status);
        Assert.Equal("AssumeRoleWithWebIdentity", exchange.Form["Action"]);
        Assert.Equal(RoleArn, exchange.Form["RoleArn"]);
        Assert.Equal("pimbridge", exchange.Form["RoleSessionName"]);
        Assert.Equal(Assert.Single(_entra.Issued), exchange.Form["WebIdentityToken"]);
        Assert.Equal(["api://AzureADTokenExchange/.default"], _entra.Scopes);
        Assert.Null(exchange.Authorization); // the exchange needs no AWS credentials: nothing to store in Azure
        Assert.Equal(Issued(exchange, "AccessKeyId"), issued.AccessKey);
        Assert.Equal(Issued(exchange, "SecretAccessKey"), issued.SecretKey);
        Assert.Equal(Issued(exchange, "SessionToken"), issued.Token);
        Assert.Equal(DateTimeOffset.Parse(Issued(exchange, "Expiration")), credentials.CurrentExpiry);
        Assert.Contains("assumed-role/pimbridge-bridge/pimbridge", Issued(exchange, "Arn"));
    }

    [Fact]
    public async Task A_custom_audience_and_session_name_are_what_Entra_and_STS_are_asked_for()
    {
        using var recorder = new StsExchangeRecorder();
        using var credentials = Credentials(recorder, o => { o.Audience = "api://pimbridge-aws"; o.SessionName = "pimbridge-func"; });

        await credentials.GetCredentialsAsync();

        Assert.Equal(["api://pimbridge-aws/.default"], _entra.Scopes);
        Assert.Equal("pimbridge-func", Assert.Single(recorder.Exchanges).Form["RoleSessionName"]);
    }

    [Fact]
    public async Task A_second_use_while_the_credentials_are_valid_asks_neither_Entra_nor_STS()
    {
        using var recorder = new StsExchangeRecorder();
        using var credentials = Credentials(recorder);
        var first = await credentials.GetCredentialsAsync();
        // Just outside the refresh margin: still good.
        _time.Advance(credentials.CurrentExpiry!.Value - TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1) - _time.GetUtcNow());

        var second = await credentials.GetCredentialsAsync();
        var third = credentials.GetCredentials();

        Assert.Same(first, second);
        Assert.Same(first, third);
        Assert.Equal(1, _entra.Calls);
        Assert.Single(recorder.Exchanges);
    }

    [Fact]
    public async Task A_use_inside_the_refresh_margin_exchanges_a_new_token_for_new_credentials()
    {
        using var recorder = new StsExchangeRecorder();
        using var credentials = Credentials(recorder);
        var first = await credentials.GetCredentialsAsync();
        _time.Advance(credentials.CurrentExpiry!.Value - TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1) - _time.GetUtcNow());

        var refreshed = await credentials.GetCredentialsAsync();

        Assert.Equal(2, _entra.Calls);
        Assert.Equal(2, recorder.Exchanges.Count);
        Assert.Equal(_entra.Issued[1], recorder.Exchanges[1].Form["WebIdentityToken"]);
        Assert.Equal(Issued(recorder.Exchanges[1], "AccessKeyId"), refreshed.AccessKey);
        Assert.NotEqual(first.AccessKey, refreshed.AccessKey);
    }

    [Fact]
    public async Task The_refresh_margin_is_configurable()
    {
        using var recorder = new StsExchangeRecorder();
        using var credentials = Credentials(recorder, o => o.RefreshMargin = TimeSpan.FromMinutes(20));
        await credentials.GetCredentialsAsync();
        _time.Advance(credentials.CurrentExpiry!.Value - TimeSpan.FromMinutes(19) - _time.GetUtcNow());

        await credentials.GetCredentialsAsync();

        Assert.Equal(2, recorder.Exchanges.Count);
    }

    [Fact]
    public async Task Concurrent_callers_needing_credentials_wait_for_one_exchange()
    {
        using var recorder = new StsExchangeRecorder();
        using var credentials = Credentials(recorder);
        _entra.Hold();

        var callers = Enumerable.Range(0, 16).Select(_ => Task.Run(credentials.GetCredentialsAsync)).ToList();
        await Task.Delay(200); // let every caller reach the gate while the token request is held
        _entra.Release();
        var results = await Task.WhenAll(callers);

        Assert.Equal(1, _entra.Calls);
        Assert.Single(recorder.Exchanges);
        Assert.All(results, r => Assert.Same(results[0], r));
    }

    public static TheoryData<HttpStatusCode, string, string> Refusals => new()
    {
        { HttpStatusCode.BadRequest, "InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://sts.windows.net/72f988bf-0000-4000-8000-000000000001/" },
        { HttpStatusCode.Forbidden, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_refusal_by_STS_names_the_role_the_audience_the_token_and_the_trust_policy_to_check(HttpStatusCode status, string code, string message)
    {
        using var recorder = new StsExchangeRecorder(_ => new HttpResponseMessage(status)
        {
            Content = new StringContent($"""
                <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                  <Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>
                  <RequestId>5b4e1f2a-0000-4000-8000-000000000002</RequestId>
                </ErrorResponse>
                """, Encoding.UTF8, "text/xml"),
        });
        using var credentials = Credentials(recorder);

        var error = await Assert.ThrowsAsync<WebIdentityCredentialsException>(credentials.GetCredentialsAsync);

        Assert.Contains(RoleArn, error.Message);
        Assert.Contains("audience 'api://AzureADTokenExchange'", error.Message);
        Assert.Contains($"{code}: {message}", error.Message);
        Assert.Contains($"iss '{FakeEntraToken.Issuer}'", error.Message);
        Assert.Contains("sub '5b1c4d7e-0000-4000-8000-00000000a11c'", error.Message);
        Assert.Contains("trust policy", error.Message);
        Assert.Contains("'<provider>:aud'", error.Message);
        Assert.Contains("'<provider>:sub'", error.Message);
        Assert.IsAssignableFrom<AmazonServiceException>(error.InnerException);
        Assert.Null(credentials.CurrentExpiry);
    }

    [Fact]
    public async Task A_managed_identity_that_gives_no_token_is_named_with_the_audience_and_the_role()
    {
        using var recorder = new StsExchangeRecorder();
        using var credentials = Credentials(recorder);
        _entra.Failure = new CredentialUnavailableException("ManagedIdentityCredential authentication unavailable. No response received from the managed identity endpoint.");

        var error = await Assert.ThrowsAsync<WebIdentityCredentialsException>(credentials.GetCredentialsAsync);

        Assert.Contains("audience 'api://AzureADTokenExchange'", error.Message);
        Assert.Contains(RoleArn, error.Message);
        Assert.Contains("No response received from the managed identity endpoint", error.Message);
        Assert.Contains("managed identity enabled", error.Message);
        Assert.Empty(recorder.Exchanges);
    }

    [Theory]
    [InlineData("arn:aws:iam::123456789012:user/pimbridge", "WebIdentityRoleArn: 'arn:aws:iam::123456789012:user/pimbridge' is not an IAM role ARN")]
    [InlineData("pimbridge-bridge", "WebIdentityRoleArn: 'pimbridge-bridge' is not an IAM role ARN")]
    [InlineData("", "WebIdentityRoleArn: the IAM role to assume is required")]
    public void A_role_that_is_not_an_IAM_role_ARN_is_refused_before_any_call(string roleArn, string problem)
    {
        var options = new WebIdentityCredentialsOptions { RoleArn = roleArn };

        var error = Assert.Throws<ConfigurationException>(() => options.Validate("PimBridge:Aws:"));

        Assert.Contains("PimBridge:Aws:" + problem, Assert.Single(error.Problems));
    }

    [Fact]
    public void Blank_audience_negative_margin_and_bad_session_name_are_each_named()
    {
        var options = new WebIdentityCredentialsOptions { RoleArn = RoleArn, Audience = " ", RefreshMargin = TimeSpan.FromMinutes(-1), SessionName = "a b" };

        var error = Assert.Throws<ConfigurationException>(() => options.Validate());

        Assert.Collection(error.Problems,
            p => Assert.StartsWith("WebIdentityAudience:", p),
            p => Assert.StartsWith("WebIdentitySessionName:", p),
            p => Assert.StartsWith("WebIdentityRefreshMargin:", p));
    }
}
