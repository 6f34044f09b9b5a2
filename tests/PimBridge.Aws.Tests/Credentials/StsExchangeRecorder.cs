using System.Web;

namespace PimBridge.Aws.Tests.Credentials;

/// <summary>One STS request as it crossed the wire: its form parameters, whether it was signed, and the answer's body.</summary>
public sealed record StsExchange(IReadOnlyDictionary<string, string> Form, string? Authorization, int Status, string ResponseBody);

/// <summary>
/// The innermost handler of an STS client: passes each request on (to moto, or to <paramref name="answer"/> when given,
/// a local stand-in for STS's error answers) and records it.
/// </summary>
public sealed class StsExchangeRecorder(Func<HttpRequestMessage, HttpResponseMessage>? answer = null)
    : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
{
    private readonly List<StsExchange> _exchanges = [];

    public IReadOnlyList<StsExchange> Exchanges { get { lock (_exchanges) return [.. _exchanges]; } }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        var form = HttpUtility.ParseQueryString(body);
        var parameters = form.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => form[k]!);
        var authorization = request.Headers.Authorization?.ToString();
        var response = answer is null ? await base.SendAsync(request, cancellationToken) : answer(request);
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        var responseBody = await response.Content.ReadAsStringAsync(cancellationToken);
        lock (_exchanges) _exchanges.Add(new StsExchange(parameters, authorization, (int)response.StatusCode, responseBody));
        return response;
    }
}
