using System.Text.Json;

namespace PimBridge.Lambda;

/// <summary>
/// CloudWatch Embedded Metric Format lines on stdout: Lambda ships stdout to CloudWatch Logs, which turns each such
/// line into a metric without a PutMetricData call (and without the cloudwatch:PutMetricData permission).
/// </summary>
public sealed class EmbeddedMetrics(TextWriter output, TimeProvider time, string functionName)
{
    public const string Namespace = "PimBridge";
    public const string DimensionName = "Function";
    public const string CriticalGapAlerts = "CriticalGapAlerts";
    public const string WatcherErrors = "WatcherErrors";

    public void Count(string metric, int value)
    {
        var line = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["_aws"] = new
            {
                Timestamp = time.GetUtcNow().ToUnixTimeMilliseconds(),
                CloudWatchMetrics = new[]
                {
                    new { Namespace, Dimensions = new[] { new[] { DimensionName } }, Metrics = new[] { new { Name = metric, Unit = "Count" } } },
                },
            },
            [DimensionName] = functionName,
            [metric] = value,
        });
        lock (output) output.WriteLine(line);
    }
}
