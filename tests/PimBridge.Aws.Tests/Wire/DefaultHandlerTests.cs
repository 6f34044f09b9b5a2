using PimBridge.Aws.Transport;

namespace PimBridge.Aws.Tests.Wire;

/// <summary>The handler a client gets when its options name none: what a long-running host sends AWS through.</summary>
public sealed class DefaultHandlerTests
{
    [Fact]
    public void Pooled_connections_are_replaced_every_five_minutes_so_a_long_running_host_follows_DNS_changes()
    {
        using var handler = AwsJsonTransport.DefaultHandler();

        Assert.Equal(TimeSpan.FromMinutes(5), handler.PooledConnectionLifetime);
    }

    [Fact]
    public void Redirects_are_not_followed_since_a_followed_redirect_would_not_be_signed_afresh()
    {
        using var handler = AwsJsonTransport.DefaultHandler();

        Assert.False(handler.AllowAutoRedirect);
    }
}
