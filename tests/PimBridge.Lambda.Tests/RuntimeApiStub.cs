using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PimBridge.Lambda.Tests;

/// <summary>What the runtime posted back for one request id (or for init).</summary>
public sealed record PostedResult(string Kind, byte[] Body, string? ErrorTypeHeader);

/// <summary>
/// A local Lambda Runtime API (2018-06-01) on Kestrel: <c>next</c> long-polls a queue of invocations; responses,
/// errors and init errors are recorded per request id for the test to await.
/// </summary>
public sealed class RuntimeApiStub : IAsyncDisposable
{
    public const string InitKey = "<init>";
    /// <summary>Enqueue this request id to have <c>next</c> answer without the Lambda-Runtime-* headers.</summary>
    public const string BrokenInvocation = "<broken>";
    private readonly WebApplication _app;
    private readonly Channel<(string Id, DateTimeOffset Deadline, byte[] Payload, string? TraceId)> _queue = Channel.CreateUnbounded<(string, DateTimeOffset, byte[], string?)>();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<PostedResult>> _results = new();

    private RuntimeApiStub(WebApplication app) => _app = app;

    /// <summary>The value for <c>AWS_LAMBDA_RUNTIME_API</c>.</summary>
    public string Address { get; private set; } = "";

    public static async Task<RuntimeApiStub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var stub = new RuntimeApiStub(app);
        app.MapGet("/2018-06-01/runtime/invocation/next", async (HttpContext context) =>
        {
            var next = await stub._queue.Reader.ReadAsync(context.RequestAborted);
            if (next.Id == BrokenInvocation)
            {
                // An invocation without the required headers: what a runtime must not guess about.
                context.Response.StatusCode = StatusCodes.Status200OK;
                return;
            }
            context.Response.Headers["Lambda-Runtime-Aws-Request-Id"] = next.Id;
            context.Response.Headers["Lambda-Runtime-Deadline-Ms"] = next.Deadline.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.Response.Headers["Lambda-Runtime-Invoked-Function-Arn"] = "arn:aws:lambda:eu-west-1:123456789012:function:pimbridge-watcher";
            if (next.TraceId is not null) context.Response.Headers["Lambda-Runtime-Trace-Id"] = next.TraceId;
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(next.Payload, context.RequestAborted);
        });
        app.MapPost("/2018-06-01/runtime/invocation/{id}/response", (string id, HttpContext context) => stub.RecordAsync(id, "response", context));
        app.MapPost("/2018-06-01/runtime/invocation/{id}/error", (string id, HttpContext context) => stub.RecordAsync(id, "error", context));
        app.MapPost("/2018-06-01/runtime/init/error", (HttpContext context) => stub.RecordAsync(InitKey, "init-error", context));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        stub.Address = new Uri(address).Authority;
        return stub;
    }

    public void Enqueue(string requestId, DateTimeOffset deadline, string payload = "{}", string? traceId = null) =>
        _queue.Writer.TryWrite((requestId, deadline, System.Text.Encoding.UTF8.GetBytes(payload), traceId));

    public Task<PostedResult> ResultFor(string requestId) =>
        _results.GetOrAdd(requestId, _ => new TaskCompletionSource<PostedResult>(TaskCreationOptions.RunContinuationsAsynchronously)).Task
            .WaitAsync(TimeSpan.FromSeconds(30));

    public bool HasResult(string requestId) => _results.TryGetValue(requestId, out var result) && result.Task.IsCompleted;

    private async Task RecordAsync(string id, string kind, HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var posted = new PostedResult(kind, buffer.ToArray(), context.Request.Headers["Lambda-Runtime-Function-Error-Type"].FirstOrDefault());
        if (!_results.GetOrAdd(id, _ => new TaskCompletionSource<PostedResult>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(posted))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(new { errorMessage = $"a result was already posted for {id}" });
            return;
        }
        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
