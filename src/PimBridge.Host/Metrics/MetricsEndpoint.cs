using Microsoft.AspNetCore.Http;

namespace PimBridge.Host.Metrics;

/// <summary><c>GET /metrics</c>: the Prometheus text exposition of PimBridge's meters, for a scraper.</summary>
internal static class MetricsEndpoint
{
    public static async Task ScrapeAsync(PrometheusMetrics metrics, HttpContext context)
    {
        var text = metrics.Render();
        context.Response.ContentType = PrometheusMetrics.ContentType;
        // A scrape is a snapshot of now: never from a cache.
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
    }
}
