using PimBridge.Core.Ports;

namespace PimBridge.Core.Tests;

/// <summary>Where throttling is looked for: the exception and those inside it (<see cref="FailureChain.Of"/>).</summary>
public sealed class FailureChainTests
{
    [Fact]
    public void Walks_wrapped_and_aggregated_failures_depth_first_and_a_null_error_has_none()
    {
        var deep = new TimeoutException("deep");
        var first = new InvalidOperationException("first", deep);
        var second = new ArgumentException("second");
        var top = new Exception("top", new AggregateException(first, second));

        var chain = FailureChain.Of(top).Select(e => e.Message).ToList();

        Assert.Equal(["top", top.InnerException!.Message, "second", "first", "deep"], chain);
        Assert.Empty(FailureChain.Of(null));
    }

    [Fact]
    public void Stops_after_sixteen_so_a_deep_wrapper_cannot_hold_a_classifier()
    {
        Exception error = new TimeoutException("innermost");
        for (var i = 0; i < 40; i++) error = new InvalidOperationException($"wrap {i}", error);

        Assert.Equal(16, FailureChain.Of(error).Count());
    }
}
