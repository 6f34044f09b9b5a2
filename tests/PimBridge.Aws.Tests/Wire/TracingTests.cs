using System.Diagnostics;
using System.Net;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Core.Telemetry;
using PimBridge.Testing;

namespace PimBridge.Aws.Tests.Wire;

/// <summary>Each AWS call is one Client span on <c>PimBridge.Aws</c>, in the rpc.* terms, with its attempts as events.</summary>
public sealed class TracingTests
{
    private static readonly PermissionSetRequest DescribeRequest = new()
    {
        InstanceArn = "arn:aws:sso:::instance/ssoins-1",
        PermissionSetArn = "arn:aws:sso:::permissionSet/ssoins-1/ps-1",
    };

    [Fact]
    public async Task A_call_retried_to_success_is_one_client_span_with_an_event_per_attempt_and_the_request_id()
    {
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"ThrottlingException","message":"slow down"}""")
            .Respond("""{"PermissionSet":{"Name":"ReadOnly","PermissionSetArn":"arn:aws:sso:::permissionSet/ssoins-1/ps-1"}}""",
                HttpStatusCode.OK, ("x-amzn-RequestId", "req-2"));
        using var client = WireClients.SsoAdmin(handler);
        using var spans = new SpanRecorder(PimBridgeTelemetry.Aws);

        await client.DescribePermissionSetAsync(DescribeRequest);

        var span = Assert.Single(spans.Spans);
        Assert.Equal(ActivityKind.Client, span.Kind);
        Assert.Equal("sso-admin/DescribePermissionSet", span.DisplayName);
        Assert.Equal("aws-api", span.GetTagItem("rpc.system"));
        Assert.Equal("sso-admin", span.GetTagItem("rpc.service"));
        Assert.Equal("DescribePermissionSet", span.GetTagItem("rpc.method"));
        Assert.Equal("req-2", span.GetTagItem("aws.request_id"));
        Assert.Null(span.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
        var attempts = span.Events.Where(e => e.Name == "attempt").ToList();
        Assert.Equal(2, attempts.Count);
        Assert.Equal("ThrottlingException", attempts[0].Tags.Single(t => t.Key == "error.type").Value);
        Assert.DoesNotContain(attempts[1].Tags, t => t.Key == "error.type");
    }

    [Fact]
    public async Task A_call_failing_with_a_4xx_is_an_error_span_typed_by_the_AWS_error_code()
    {
        var handler = new RecordingHandler()
            .RespondError(HttpStatusCode.BadRequest, """{"__type":"AccessDeniedException","message":"no"}""", ("x-amzn-RequestId", "req-9"));
        using var client = WireClients.SsoAdmin(handler);
        using var spans = new SpanRecorder(PimBridgeTelemetry.Aws);

        await Assert.ThrowsAsync<AwsServiceException>(() => client.DescribePermissionSetAsync(DescribeRequest));

        var span = Assert.Single(spans.Spans);
        Assert.Equal(ActivityKind.Client, span.Kind);
        Assert.Equal("sso-admin", span.GetTagItem("rpc.service"));
        Assert.Equal("DescribePermissionSet", span.GetTagItem("rpc.method"));
        Assert.Equal("AccessDeniedException", span.GetTagItem("error.type"));
        Assert.Equal(400, span.GetTagItem("http.response.status_code"));
        Assert.Equal("req-9", span.GetTagItem("aws.request_id"));
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Single(span.Events, e => e.Name == "attempt");
    }
}
