using System.Collections;
using Microsoft.Extensions.Logging;
using PimBridge.Lambda;

// Lambda starts bootstrap once per execution environment; everything below runs the Runtime API loop.
var runtimeApi = Environment.GetEnvironmentVariable(LambdaRuntimeClient.RuntimeApiVariable);
if (string.IsNullOrWhiteSpace(runtimeApi))
{
    Console.Error.WriteLine($"bootstrap is the PimBridge watcher's AWS Lambda runtime and must run in Lambda ({LambdaRuntimeClient.RuntimeApiVariable} is not set); to run PimBridge elsewhere use `pimbridge serve` (docs/lambda.md).");
    return 2;
}

var environment = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
    .ToDictionary(entry => (string)entry.Key, entry => (string?)entry.Value, StringComparer.Ordinal);
var functionName = Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_NAME") ?? "pimbridge-watcher";
using var loggers = LoggerFactory.Create(logging => logging.AddJsonConsole(options => options.IncludeScopes = false).SetMinimumLevel(LogLevel.Information));
var metrics = new EmbeddedMetrics(Console.Out, TimeProvider.System, functionName);
using var runtime = new LambdaRuntimeClient(runtimeApi);
var loop = new LambdaRuntimeLoop(runtime, TimeProvider.System);
return await loop.RunAsync(async cancellationToken =>
{
    var configuration = WatcherConfiguration.Build(environment, Environment.GetEnvironmentVariable("LAMBDA_TASK_ROOT") ?? AppContext.BaseDirectory);
    return await WatcherFunction.CreateAsync(configuration, TimeProvider.System, loggers, metrics, given: null, cancellationToken);
});
