using System.Text;
using System.Text.Json;
using Azure.Core;

namespace PimBridge.Aws.Tests.Credentials;

/// <summary>
/// Stands in for the host's managed identity: issues a JWT-shaped token (unsigned; moto does not verify it) whose claims
/// look like a managed identity's, counts the requests and keeps the scopes asked for. <see cref="Hold"/> makes every
/// request wait until <see cref="Release"/>, so a test can pile up concurrent callers.
/// </summary>
public sealed class FakeEntraToken(string subject = "5b1c4d7e-0000-4000-8000-00000000a11c") : TokenCredential
{
    public const string Issuer = "https://sts.windows.net/72f988bf-0000-4000-8000-000000000001/";

    private readonly List<string> _scopes = [];
    private TaskCompletionSource? _held;
    private int _issued;

    public int Calls { get { lock (_scopes) return _scopes.Count; } }

    public IReadOnlyList<string> Scopes { get { lock (_scopes) return [.. _scopes]; } }

    /// <summary>Every token issued, in order; each differs (a serial claim), so a test can tell which one STS received.</summary>
    public List<string> Issued { get; } = [];

    /// <summary>Thrown instead of issuing a token, when set.</summary>
    public Exception? Failure { get; set; }

    public void Hold() => _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _held?.TrySetResult();

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        lock (_scopes) _scopes.AddRange(requestContext.Scopes);
        if (_held is { } held) await held.Task.WaitAsync(cancellationToken);
        if (Failure is { } failure) throw failure;
        var audience = requestContext.Scopes[0].Replace("/.default", "", StringComparison.Ordinal);
        var token = Jwt(new { iss = Issuer, aud = audience, sub = subject, serial = Interlocked.Increment(ref _issued) });
        lock (Issued) Issued.Add(token);
        return new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1));
    }

    private static string Jwt(object claims) =>
        $"{Base64Url(new { alg = "RS256", typ = "JWT" })}.{Base64Url(claims)}.c2lnbmF0dXJl";

    private static string Base64Url(object value) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
