using System.Text;
using System.Text.Json;
using PimBridge.Core.Configuration;

namespace PimBridge.Lambda.Tests;

public sealed class LambdaRuntimeLoopTests : IAsyncLifetime
{
    private RuntimeApiStub _stub = null!;
    private readonly CancellationTokenSource _stop = new();

    public async Task InitializeAsync() => _stub = await RuntimeApiStub.StartAsync();

    public async Task DisposeAsync()
    {
        _stop.Cancel();
        await _stub.DisposeAsync();
        _stop.Dispose();
    }

    private sealed class DelegateHandler(Func<LambdaInvocation, CancellationToken, Task<byte[]>> handle) : ILambdaHandler
    {
        public Task<byte[]> HandleAsync(LambdaInvocation invocation, CancellationToken cancellationToken) => handle(invocation, cancellationToken);
    }

    private Task<int> StartLoop(Func<LambdaInvocation, CancellationToken, Task<byte[]>> handle, LambdaRuntimeOptions? options = null)
    {
        var runtime = new LambdaRuntimeClient(_stub.Address);
        var loop = new LambdaRuntimeLoop(runtime, TimeProvider.System, options, TextWriter.Null);
        return Task.Run(() => loop.RunAsync(_ => Task.FromResult<ILambdaHandler>(new DelegateHandler(handle)), _stop.Token));
    }

    private static DateTimeOffset InAMinute => DateTimeOffset.UtcNow.AddMinutes(1);

    [Fact]
    public async Task A_handlers_response_is_posted_to_its_request_id_with_the_trace_id_set_while_it_ran()
    {
        string? traceSeen = null;
        var loop = StartLoop((invocation, _) =>
        {
            traceSeen = Environment.GetEnvironmentVariable(LambdaRuntimeLoop.TraceIdVariable);
            return Task.FromResult(Encoding.UTF8.GetBytes($"{{\"echo\":{Encoding.UTF8.GetString(invocation.Payload)},\"arn\":\"{invocation.InvokedFunctionArn}\"}}"));
        });
        _stub.Enqueue("req-1", InAMinute, "{\"n\":1}", traceId: "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1");

        var result = await _stub.ResultFor("req-1");

        Assert.Equal("response", result.Kind);
        Assert.Equal("{\"echo\":{\"n\":1},\"arn\":\"arn:aws:lambda:eu-west-1:123456789012:function:pimbridge-watcher\"}", Encoding.UTF8.GetString(result.Body));
        Assert.Equal("Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1", traceSeen);
        Assert.False(loop.IsCompleted);
    }

    [Fact]
    public async Task A_handler_exception_is_posted_as_an_error_and_the_loop_takes_the_next_invocation()
    {
        _ = StartLoop((invocation, _) => invocation.RequestId == "bad"
            ? throw new InvalidOperationException("the store is unreachable")
            : Task.FromResult("{\"ok\":true}"u8.ToArray()));
        _stub.Enqueue("bad", InAMinute);
        _stub.Enqueue("good", InAMinute);

        var error = await _stub.ResultFor("bad");
        var next = await _stub.ResultFor("good");

        Assert.Equal("error", error.Kind);
        Assert.Equal(typeof(InvalidOperationException).FullName, error.ErrorTypeHeader);
        using var document = JsonDocument.Parse(error.Body);
        Assert.Equal("the store is unreachable", document.RootElement.GetProperty("errorMessage").GetString());
        Assert.Equal(typeof(InvalidOperationException).FullName, document.RootElement.GetProperty("errorType").GetString());
        Assert.Equal(JsonValueKind.Array, document.RootElement.GetProperty("stackTrace").ValueKind);
        Assert.NotEmpty(document.RootElement.GetProperty("stackTrace").EnumerateArray());
        Assert.Equal("response", next.Kind);
        Assert.Equal("{\"ok\":true}", Encoding.UTF8.GetString(next.Body));
    }

    [Fact]
    public async Task An_init_failure_is_posted_to_init_error_and_the_loop_exits_non_zero_without_taking_an_invocation()
    {
        _stub.Enqueue("never", InAMinute);
        var loop = new LambdaRuntimeLoop(new LambdaRuntimeClient(_stub.Address), TimeProvider.System, log: TextWriter.Null);

        var exitCode = await loop.RunAsync(_ => throw new ConfigurationException(["PimBridge__DynamoDbTable is not set"]), _stop.Token);

        Assert.Equal(LambdaRuntimeLoop.InitFailedExitCode, exitCode);
        var posted = await _stub.ResultFor(RuntimeApiStub.InitKey);
        Assert.Equal("init-error", posted.Kind);
        Assert.Equal(typeof(ConfigurationException).FullName, posted.ErrorTypeHeader);
        using var document = JsonDocument.Parse(posted.Body);
        Assert.Contains("PimBridge__DynamoDbTable is not set", document.RootElement.GetProperty("errorMessage").GetString());
        Assert.False(_stub.HasResult("never"));
    }

    [Fact]
    public async Task A_handler_still_running_near_the_deadline_is_cancelled_before_it_and_reported_as_a_timeout()
    {
        var margin = TimeSpan.FromSeconds(2);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(3);
        DateTimeOffset? cancelledAt = null;
        _ = StartLoop(async (invocation, cancellationToken) =>
        {
            if (invocation.RequestId == "slow")
            {
                await using var _ = cancellationToken.Register(() => cancelledAt = DateTimeOffset.UtcNow);
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            return "{}"u8.ToArray();
        }, new LambdaRuntimeOptions { DeadlineMargin = margin });
        _stub.Enqueue("slow", deadline);
        _stub.Enqueue("after", InAMinute);

        var result = await _stub.ResultFor("slow");

        Assert.Equal("error", result.Kind);
        Assert.Equal(LambdaRuntimeLoop.TimeoutErrorType, result.ErrorTypeHeader);
        Assert.NotNull(cancelledAt);
        Assert.True(cancelledAt <= deadline - margin + TimeSpan.FromMilliseconds(500), $"cancelled at {cancelledAt:O}, deadline {deadline:O}");
        Assert.Equal("response", (await _stub.ResultFor("after")).Kind);
    }

    [Fact]
    public async Task A_response_over_six_megabytes_is_reported_as_an_error_and_not_sent_while_one_at_the_limit_is_sent()
    {
        _ = StartLoop((invocation, _) => Task.FromResult(new byte[invocation.RequestId == "huge"
            ? LambdaRuntimeOptions.LambdaMaxResponseBytes + 1
            : LambdaRuntimeOptions.LambdaMaxResponseBytes]));
        _stub.Enqueue("huge", InAMinute);
        _stub.Enqueue("at-limit", InAMinute);

        var huge = await _stub.ResultFor("huge");
        var atLimit = await _stub.ResultFor("at-limit");

        Assert.Equal("error", huge.Kind);
        Assert.Equal(LambdaRuntimeLoop.ResponseTooLargeErrorType, huge.ErrorTypeHeader);
        Assert.True(huge.Body.Length < 4096);
        using var document = JsonDocument.Parse(huge.Body);
        Assert.Contains("6291457 bytes", document.RootElement.GetProperty("errorMessage").GetString());
        Assert.Equal("response", atLimit.Kind);
        Assert.Equal(6 * 1024 * 1024, atLimit.Body.Length);
    }

    [Fact]
    public async Task A_next_invocation_without_its_request_id_ends_the_loop_with_the_runtime_api_exit_code()
    {
        var loop = StartLoop((_, _) => Task.FromResult("{}"u8.ToArray()));
        _stub.Enqueue("first", InAMinute);
        Assert.Equal("response", (await _stub.ResultFor("first")).Kind);
        _stub.Enqueue(RuntimeApiStub.BrokenInvocation, InAMinute);

        Assert.Equal(LambdaRuntimeLoop.RuntimeApiFailedExitCode, await loop.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
