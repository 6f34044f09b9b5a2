using System.Diagnostics;
using System.Net;
using PimBridge.Core.Telemetry;
using PimBridge.Testing;

namespace PimBridge.Entra.Tests;

/// <summary>Each HTTP attempt to Graph is a Client span on <c>PimBridge.Entra</c>, named by method and resource, never by id.</summary>
public sealed class GraphTracingTests
{
    [Fact]
    public async Task A_Graph_attempt_is_a_client_span_with_method_resource_and_status()
    {
        using var invoker = new HttpMessageInvoker(new GraphMetricsHandler { InnerHandler = new Answering(HttpStatusCode.NotFound) });
        using var spans = new SpanRecorder(PimBridgeTelemetry.Entra);

        using var request = new HttpRequestMessage(HttpMethod.Get, "https://graph.microsoft.com/v1.0/users/8f0c2d6e-0000-4000-8000-000000000001");
        using var response = await invoker.SendAsync(request, CancellationToken.None);

        var span = Assert.Single(spans.Spans);
        Assert.Equal(ActivityKind.Client, span.Kind);
        Assert.Equal("GET users/{id}", span.DisplayName);
        Assert.Equal("GET", span.GetTagItem("http.request.method"));
        Assert.Equal("users/{id}", span.GetTagItem("url.template"));
        Assert.Equal(404, span.GetTagItem("http.response.status_code"));
        Assert.Equal("404", span.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, span.Status);
    }

    [Fact]
    public async Task A_Graph_attempt_that_gets_no_answer_is_an_error_span_naming_the_exception()
    {
        using var invoker = new HttpMessageInvoker(new GraphMetricsHandler { InnerHandler = new Answering(null) });
        using var spans = new SpanRecorder(PimBridgeTelemetry.Entra);

        using var request = new HttpRequestMessage(HttpMethod.Post, "https://graph.microsoft.com/v1.0/subscriptions");
        await Assert.ThrowsAsync<HttpRequestException>(() => invoker.SendAsync(request, CancellationToken.None));

        var span = Assert.Single(spans.Spans);
        Assert.Equal("POST subscriptions", span.DisplayName);
        Assert.Equal(typeof(HttpRequestException).FullName, span.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, span.Status);
    }

    private sealed class Answering(HttpStatusCode? status) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            status is { } code ? Task.FromResult(new HttpResponseMessage(code)) : throw new HttpRequestException("connection refused");
    }
}
