using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon;
using Amazon.Runtime;
using PimBridge.Aws.CloudTrail;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;

namespace PimBridge.Aws.Tests.Wire;

/// <summary>
/// What leaves the signer (reference §3.1, §12, §13): every attempt signed afresh, the right signing names and
/// endpoints, the bare awsJson Content-Type, and an Authorization header that an independent SigV4 implementation
/// accepts as a signature over the request's own headers and body.
/// </summary>
public sealed class SigningTests
{
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    private static readonly PermissionSetRequest DescribeRequest = new()
    {
        InstanceArn = "arn:aws:sso:::instance/ssoins-0123456789abcdef",
        PermissionSetArn = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef",
    };

    private static string ThrottlingBody => """{"__type":"ThrottlingException","message":"Rate exceeded"}""";

    /// <summary>Sends one successful call of the named service and returns what went out.</summary>
    internal static async Task<RecordedRequest> SendOne(string service, Action<AwsClientOptions>? configure = null)
    {
        var handler = new RecordingHandler();
        switch (service)
        {
            case "sso-admin":
                handler.Respond("""{"PermissionSet":{"Name":"ReadOnly"}}""");
                using (var client = WireClients.SsoAdmin(handler, configure: o => configure?.Invoke(o)))
                    await client.DescribePermissionSetAsync(DescribeRequest);
                break;
            case "identitystore":
                handler.Respond("""{"IdentityStoreId":"d-1234567890","UserId":"u-1"}""");
                using (var client = WireClients.IdentityStore(handler, configure: o => configure?.Invoke(o)))
                    await client.GetUserIdAsync(new()
                    {
                        IdentityStoreId = "d-1234567890",
                        AlternateIdentifier = AlternateIdentifier.ByAttribute(UniqueAttributePaths.UserName, "alice"),
                    });
                break;
            case "cloudtrail":
                handler.Respond("""{"Events":[]}""");
                using (var client = WireClients.CloudTrail(handler, configure: o => configure?.Invoke(o)))
                    await client.LookupEventsAsync(new LookupEventsRequest { MaxResults = 5 }).ToListAsync();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(service), service, null);
        }

        return Assert.Single(handler.Requests);
    }

    // --- (a) every attempt is signed again ---

    [Fact]
    public async Task EachAttemptIsSignedWithFreshlyResolvedCredentials()
    {
        var credentials = new RotatingCredentials();
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, ThrottlingBody)
            .Respond("""{"PermissionSet":{"Name":"ReadOnly"}}""");
        using var client = WireClients.SsoAdmin(handler, configure: o => o.Credentials = credentials);

        var result = await client.DescribePermissionSetAsync(DescribeRequest);

        Assert.Equal("ReadOnly", result.PermissionSet?.Name);
        Assert.Equal(2, handler.Requests.Count);
        var first = SigV4.ParseAuthorization(handler.Requests[0].Header("Authorization")!);
        var second = SigV4.ParseAuthorization(handler.Requests[1].Header("Authorization")!);
        Assert.StartsWith("AKIDROTATING", first.AccessKey, StringComparison.Ordinal);
        Assert.StartsWith("AKIDROTATING", second.AccessKey, StringComparison.Ordinal);
        Assert.NotEqual(first.AccessKey, second.AccessKey);
        // Each attempt is a valid signature under the secret of the key it names, so the signing key was derived afresh.
        Assert.NotEqual(first.Signature, second.Signature);
        SigV4.AssertValid(handler.Requests[0], RotatingCredentials.SecretFor(first.AccessKey));
        SigV4.AssertValid(handler.Requests[1], RotatingCredentials.SecretFor(second.AccessKey));
        Assert.False(SigV4.IsValid(handler.Requests[1], RotatingCredentials.SecretFor(first.AccessKey)));
    }

    [Fact]
    public async Task SessionTokenIsSentAndSignedOnEveryAttempt()
    {
        var credentials = new SessionAWSCredentials("ASIAEXAMPLESESSION01", Secret, "FQoGZXIvYXdzEXAMPLETOKEN==");
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.ServiceUnavailable, "")
            .Respond("""{"PermissionSet":{"Name":"ReadOnly"}}""");
        using var client = WireClients.SsoAdmin(handler, configure: o => o.Credentials = credentials);

        await client.DescribePermissionSetAsync(DescribeRequest);

        Assert.Equal(2, handler.Requests.Count);
        Assert.All(handler.Requests, r =>
        {
            Assert.Equal("FQoGZXIvYXdzEXAMPLETOKEN==", r.Header("x-amz-security-token"));
            Assert.Contains("x-amz-security-token", SigV4.ParseAuthorization(r.Header("Authorization")!).SignedHeaders);
            SigV4.AssertValid(r, Secret);
        });
    }

    // --- (c) signing names and credential scope ---

    [Theory]
    [InlineData("sso-admin", "sso")]
    [InlineData("identitystore", "identitystore")]
    [InlineData("cloudtrail", "cloudtrail")]
    public async Task CredentialScopeNamesTheServiceSigningName(string service, string signingName)
    {
        var request = await SendOne(service);

        var authorization = SigV4.ParseAuthorization(request.Header("Authorization")!);
        Assert.Equal($"/us-east-1/{signingName}/aws4_request", authorization.Scope[authorization.Scope.IndexOf('/', StringComparison.Ordinal)..]);
        Assert.Equal("AKIDEXAMPLE", authorization.AccessKey);
        // The scope's date is the date of X-Amz-Date.
        Assert.Equal(request.Header("X-Amz-Date")![..8], authorization.Scope[..8]);
        Assert.Contains($"Credential=AKIDEXAMPLE/{authorization.Scope}, ", request.Header("Authorization"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CredentialScopeUsesTheConfiguredRegion()
    {
        var request = await SendOne("identitystore", o => o.Region = "eu-west-1");

        Assert.EndsWith("/eu-west-1/identitystore/aws4_request", SigV4.ParseAuthorization(request.Header("Authorization")!).Scope, StringComparison.Ordinal);
        Assert.Equal("identitystore.eu-west-1.amazonaws.com", request.Uri.Host);
    }

    [Theory]
    [InlineData("sso-admin", "SWBExternalService.DescribePermissionSet")]
    [InlineData("identitystore", "AWSIdentityStore.GetUserId")]
    [InlineData("cloudtrail", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents")]
    public async Task SignatureCoversHostDateContentTypeAndTarget(string service, string target)
    {
        var request = await SendOne(service);

        Assert.Equal(target, request.Target);
        var signed = SigV4.ParseAuthorization(request.Header("Authorization")!).SignedHeaders;
        Assert.Superset(new HashSet<string> { "content-type", "host", "x-amz-date", "x-amz-target" }, signed.ToHashSet());
        Assert.Equal(signed.Order(StringComparer.Ordinal), signed);
        SigV4.AssertValid(request, WireClients.Credentials.GetCredentials().SecretKey);
    }

    // --- (d) an independent SigV4 verifier ---

    [Fact]
    public void VerifierReproducesTheReferenceVectorPostXWwwFormUrlencoded()
    {
        // AWS SigV4 test suite, post-x-www-form-urlencoded (reference §13.2).
        var headers = new[]
        {
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Host", "example.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
        };
        var payloadHash = SigV4.HexSha256(Encoding.UTF8.GetBytes("Param1=value1"));
        string[] signedHeaders = ["content-type", "host", "x-amz-date"];

        var canonical = SigV4.CanonicalRequest("POST", "/", "", headers, signedHeaders, payloadHash);
        var authorization = SigV4.Authorization("AKIDEXAMPLE", Secret, "20150830T123600Z", "us-east-1", "service", signedHeaders, canonical);

        Assert.Equal(
            "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n" +
            "content-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
            canonical);
        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, " +
            "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
            authorization);
    }

    [Fact]
    public void VerifierTrimsAndFoldsHeaderValuesAndSortsHeaders()
    {
        var canonical = SigV4.CanonicalRequest("POST", "/", "",
            [("X-Amz-Date", "20150830T123600Z"), ("My-Header1", "  value1   with  spaces "), ("Host", "example.amazonaws.com")],
            ["host", "my-header1", "x-amz-date"], SigV4.HexSha256([]));

        Assert.Equal(
            "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:value1 with spaces\nx-amz-date:20150830T123600Z\n\n" +
            "host;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            canonical);
    }

    [Theory]
    [InlineData("sso-admin")]
    [InlineData("identitystore")]
    [InlineData("cloudtrail")]
    public async Task RecordedAuthorizationIsAValidSignatureOverItsOwnHeadersAndBody(string service)
    {
        var request = await SendOne(service);

        SigV4.AssertValid(request, Secret);
        Assert.Equal(SigV4.HexSha256(Encoding.UTF8.GetBytes(request.Body)), request.Header("X-Amz-Content-SHA256"));
    }

    [Fact]
    public async Task VerifierRejectsATamperedBodyTargetOrSecret()
    {
        var request = await SendOne("sso-admin");
        var tamperedBody = request with { Body = request.Body.Replace("ps-0123456789abcdef", "ps-fedcba9876543210", StringComparison.Ordinal) };
        var tamperedHeaders = new Dictionary<string, string>(request.Headers, StringComparer.OrdinalIgnoreCase)
        {
            ["X-Amz-Target"] = "SWBExternalService.DeletePermissionSet",
        };
        var tamperedTarget = request with { Headers = tamperedHeaders };

        Assert.True(SigV4.IsValid(request, Secret));
        Assert.NotEqual(request.Body, tamperedBody.Body);
        Assert.False(SigV4.IsValid(tamperedBody, Secret));
        Assert.False(SigV4.IsValid(tamperedTarget, Secret));
        Assert.False(SigV4.IsValid(request, "not-the-secret"));
    }

    // --- (e) content type and endpoints ---

    [Theory]
    [InlineData("sso-admin")]
    [InlineData("identitystore")]
    [InlineData("cloudtrail")]
    public async Task ContentTypeIsBareAwsJson11WithoutCharset(string service)
    {
        var request = await SendOne(service);

        Assert.Equal("application/x-amz-json-1.1", request.Header("Content-Type"));
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/", request.Uri.AbsolutePath);
        Assert.Equal("", request.Uri.Query);
    }

    [Theory]
    [InlineData("sso-admin", "us-east-1", false, "https://sso.us-east-1.amazonaws.com/")]
    [InlineData("sso-admin", "us-east-1", true, "https://sso-fips.us-east-1.amazonaws.com/")]
    [InlineData("sso-admin", "cn-north-1", false, "https://sso.cn-north-1.amazonaws.com.cn/")]
    [InlineData("sso-admin", "us-gov-west-1", true, "https://sso.us-gov-west-1.amazonaws.com/")]
    [InlineData("identitystore", "us-east-1", false, "https://identitystore.us-east-1.amazonaws.com/")]
    [InlineData("identitystore", "us-east-1", true, "https://identitystore-fips.us-east-1.amazonaws.com/")]
    [InlineData("identitystore", "cn-northwest-1", false, "https://identitystore.cn-northwest-1.amazonaws.com.cn/")]
    [InlineData("cloudtrail", "us-east-1", false, "https://cloudtrail.us-east-1.amazonaws.com/")]
    [InlineData("cloudtrail", "us-east-1", true, "https://cloudtrail-fips.us-east-1.amazonaws.com/")]
    [InlineData("cloudtrail", "cn-north-1", false, "https://cloudtrail.cn-north-1.amazonaws.com.cn/")]
    public async Task DefaultEndpointFollowsRegionPartitionAndFips(string service, string region, bool fips, string expected)
    {
        var request = await SendOne(service, o =>
        {
            o.Region = region;
            o.UseFipsEndpoint = fips;
        });

        Assert.Equal(new Uri(expected), request.Uri);
        Assert.Equal(expected, request.Uri.AbsoluteUri);
        Assert.Equal(region, SigV4.ParseAuthorization(request.Header("Authorization")!).Scope.Split('/')[1]);
        SigV4.AssertValid(request, Secret);
    }

    [Fact]
    public void ClientEndpointPropertyMatchesTheDefault()
    {
        using var client = WireClients.SsoAdmin(new RecordingHandler());

        Assert.Equal(new Uri("https://sso.us-east-1.amazonaws.com/"), client.Endpoint);
    }

    [Theory]
    [InlineData("sso-admin", "http://127.0.0.1:5000/")]
    [InlineData("identitystore", "https://vpce-0123-abcd.identitystore.us-east-1.vpce.amazonaws.com/")]
    [InlineData("cloudtrail", "http://localhost:4566/")]
    public async Task EndpointOverrideIsUsedAsIsEvenWithFips(string service, string endpoint)
    {
        var request = await SendOne(service, o =>
        {
            o.Endpoint = new Uri(endpoint);
            o.UseFipsEndpoint = true;
        });

        Assert.Equal(endpoint, request.Uri.AbsoluteUri);
        // The signature is over the override's host (with its port), still in the configured Region.
        SigV4.AssertValid(request, Secret);
        Assert.Contains("/us-east-1/", SigV4.ParseAuthorization(request.Header("Authorization")!).Scope, StringComparison.Ordinal);
    }

    private sealed class RotatingCredentials : AWSCredentials
    {
        private int _calls;

        /// <summary>Each key has its own secret, so a signature made with stale credentials cannot pass as fresh.</summary>
        public static string SecretFor(string accessKey) => Secret + accessKey[^4..];

        private ImmutableCredentials Next()
        {
            var accessKey = $"AKIDROTATING{Interlocked.Increment(ref _calls):D4}";
            return new(accessKey, SecretFor(accessKey), null);
        }

        public override ImmutableCredentials GetCredentials() => Next();

        public override Task<ImmutableCredentials> GetCredentialsAsync() => Task.FromResult(Next());
    }
}

/// <summary>
/// The SDK's clock is process-wide (<see cref="AWSConfigs.ManualClockCorrection"/>), so tests that move it run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SdkClockCollection
{
    public const string Name = "SDK clock (AWSConfigs.ManualClockCorrection)";
}

[Collection(SdkClockCollection.Name)]
public sealed class SigningClockTests
{
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    private static readonly PermissionSetRequest DescribeRequest = new()
    {
        InstanceArn = "arn:aws:sso:::instance/ssoins-0123456789abcdef",
        PermissionSetArn = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef",
    };

    private static DateTime AmzDate(RecordedRequest request) =>
        DateTime.ParseExact(request.Header("X-Amz-Date")!, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    [Fact]
    public async Task EachAttemptCarriesTheSigningClockOfItsOwnSendTime()
    {
        var saved = AWSConfigs.ManualClockCorrection;
        try
        {
            AWSConfigs.ManualClockCorrection = TimeSpan.Zero;
            var handler = new RecordingHandler();
            // Between attempt 1 and 2 the SDK's clock moves one day and one hour forward.
            handler.OnRequest = _ =>
            {
                if (handler.Requests.Count == 1) AWSConfigs.ManualClockCorrection = TimeSpan.FromHours(25);
            };
            handler
                .RespondError(HttpStatusCode.BadRequest, """{"__type":"ThrottlingException","message":"Rate exceeded"}""")
                .Respond("""{"PermissionSet":{"Name":"ReadOnly"}}""");
            using var client = WireClients.SsoAdmin(handler);

            await client.DescribePermissionSetAsync(DescribeRequest);

            Assert.Equal(2, handler.Requests.Count);
            var (first, second) = (handler.Requests[0], handler.Requests[1]);
            var moved = AmzDate(second) - AmzDate(first);
            Assert.InRange(moved, TimeSpan.FromHours(25), TimeSpan.FromHours(25) + TimeSpan.FromMinutes(1));
            var firstScope = SigV4.ParseAuthorization(first.Header("Authorization")!).Scope;
            var secondScope = SigV4.ParseAuthorization(second.Header("Authorization")!).Scope;
            Assert.Equal(first.Header("X-Amz-Date")![..8], firstScope[..8]);
            Assert.Equal(second.Header("X-Amz-Date")![..8], secondScope[..8]);
            Assert.NotEqual(firstScope, secondScope);
            SigV4.AssertValid(first, Secret);
            SigV4.AssertValid(second, Secret);
        }
        finally
        {
            AWSConfigs.ManualClockCorrection = saved;
        }
    }

    [Fact]
    public async Task RequestExpiredRetryIsSignedWithTheCorrectedClock()
    {
        var saved = AWSConfigs.ManualClockCorrection;
        try
        {
            // The first attempt goes out with a clock 20 minutes slow; AWS answers RequestExpired, the clock is
            // corrected, and the one permitted retry carries the corrected date.
            AWSConfigs.ManualClockCorrection = TimeSpan.FromMinutes(-20);
            var handler = new RecordingHandler();
            handler.OnRequest = _ =>
            {
                if (handler.Requests.Count == 1) AWSConfigs.ManualClockCorrection = TimeSpan.Zero;
            };
            handler
                .RespondError(HttpStatusCode.BadRequest, """{"__type":"RequestExpired","message":"Request has expired."}""")
                .Respond("""{"PermissionSet":{"Name":"ReadOnly"}}""");
            using var client = WireClients.SsoAdmin(handler);

            var result = await client.DescribePermissionSetAsync(DescribeRequest);

            Assert.Equal("ReadOnly", result.PermissionSet?.Name);
            Assert.Equal(2, handler.Requests.Count);
            Assert.InRange(AmzDate(handler.Requests[1]) - AmzDate(handler.Requests[0]), TimeSpan.FromMinutes(20), TimeSpan.FromMinutes(21));
            Assert.NotEqual(
                SigV4.ParseAuthorization(handler.Requests[0].Header("Authorization")!).Signature,
                SigV4.ParseAuthorization(handler.Requests[1].Header("Authorization")!).Signature);
        }
        finally
        {
            AWSConfigs.ManualClockCorrection = saved;
        }
    }
}

/// <summary>
/// An independent SigV4 implementation (reference §13.1), written from the specification rather than the SDK:
/// canonical request, string to sign, HMAC key chain.
/// </summary>
internal static class SigV4
{
    public sealed record ParsedAuthorization(string AccessKey, string Scope, IReadOnlyList<string> SignedHeaders, string Signature);

    public static ParsedAuthorization ParseAuthorization(string header)
    {
        const string Algorithm = "AWS4-HMAC-SHA256 ";
        Assert.StartsWith(Algorithm, header, StringComparison.Ordinal);
        var parts = header[Algorithm.Length..].Split(',', StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        Assert.Equal(new[] { "Credential", "Signature", "SignedHeaders" }, parts.Keys.Order(StringComparer.Ordinal));
        var credential = parts["Credential"];
        var slash = credential.IndexOf('/', StringComparison.Ordinal);
        return new ParsedAuthorization(credential[..slash], credential[(slash + 1)..], parts["SignedHeaders"].Split(';'), parts["Signature"]);
    }

    public static string HexSha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static string CanonicalRequest(
        string method, string path, string query, IEnumerable<(string Name, string Value)> headers, IReadOnlyList<string> signedHeaders, string payloadHash)
    {
        var byName = headers
            .GroupBy(h => h.Name.ToLowerInvariant())
            .ToDictionary(g => g.Key, g => string.Join(",", g.Select(h => Fold(h.Value))), StringComparer.Ordinal);
        var sb = new StringBuilder();
        sb.Append(method).Append('\n').Append(path).Append('\n').Append(query).Append('\n');
        foreach (var name in signedHeaders.Order(StringComparer.Ordinal))
        {
            Assert.True(byName.TryGetValue(name, out var value), $"signed header '{name}' is not on the request");
            sb.Append(name).Append(':').Append(value).Append('\n');
        }

        sb.Append('\n').Append(string.Join(';', signedHeaders.Order(StringComparer.Ordinal))).Append('\n').Append(payloadHash);
        return sb.ToString();
    }

    public static string Authorization(
        string accessKey, string secret, string amzDate, string region, string service, IReadOnlyList<string> signedHeaders, string canonicalRequest)
    {
        var date = amzDate[..8];
        var scope = $"{date}/{region}/{service}/aws4_request";
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{HexSha256(Encoding.UTF8.GetBytes(canonicalRequest))}";
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secret), date);
        key = Hmac(key, region);
        key = Hmac(key, service);
        key = Hmac(key, "aws4_request");
        var signature = Convert.ToHexStringLower(Hmac(key, stringToSign));
        return $"AWS4-HMAC-SHA256 Credential={accessKey}/{scope}, SignedHeaders={string.Join(';', signedHeaders)}, Signature={signature}";
    }

    /// <summary>Recomputes the Authorization a recorded request should carry from its own headers, URI and body.</summary>
    public static string Recompute(RecordedRequest request, string secret)
    {
        var parsed = ParseAuthorization(request.Header("Authorization")!);
        var scope = parsed.Scope.Split('/');
        Assert.Equal(4, scope.Length);
        Assert.Equal("aws4_request", scope[3]);
        var body = Encoding.UTF8.GetBytes(request.Body);
        var headers = request.Headers.Select(h => (h.Key, h.Value)).ToList();
        // Host and Content-Length are written by the HTTP stack from the URI and the body when not set explicitly.
        if (!request.Headers.ContainsKey("Host"))
            headers.Add(("Host", request.Uri.IsDefaultPort ? request.Uri.Host : request.Uri.Authority));
        if (!request.Headers.ContainsKey("Content-Length"))
            headers.Add(("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture)));
        Assert.Equal(body.Length.ToString(CultureInfo.InvariantCulture), headers.Single(h => h.Item1.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Item2);
        var amzDate = request.Header("X-Amz-Date")!;
        var canonical = CanonicalRequest(request.Method.Method, request.Uri.AbsolutePath, request.Uri.Query.TrimStart('?'), headers, parsed.SignedHeaders,
            HexSha256(body));
        return Authorization(parsed.AccessKey, secret, amzDate, scope[1], scope[2], parsed.SignedHeaders, canonical);
    }

    public static bool IsValid(RecordedRequest request, string secret) => Recompute(request, secret) == request.Header("Authorization");

    public static void AssertValid(RecordedRequest request, string secret)
    {
        var amzDate = request.Header("X-Amz-Date");
        Assert.NotNull(amzDate);
        Assert.Matches("^[0-9]{8}T[0-9]{6}Z$", amzDate);
        Assert.StartsWith(amzDate[..8] + "/", ParseAuthorization(request.Header("Authorization")!).Scope, StringComparison.Ordinal);
        Assert.Equal(Recompute(request, secret), request.Header("Authorization"));
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    /// <summary>Trim, and fold runs of spaces into one (SigV4 canonical header values).</summary>
    private static string Fold(string value) => string.Join(' ', value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries));
}
