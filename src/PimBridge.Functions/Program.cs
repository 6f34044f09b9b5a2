using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PimBridge.Functions;

// The Function App's worker process (the .NET isolated worker model): ASP.NET Core integration for the HTTP
// function, and the same host services `pimbridge serve` runs, the background workers included.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
// The worker reports through OpenTelemetry (host.json's telemetryMode): the Functions resource (cloud.*, faas.*) first,
// so PimBridge's service name, set with its sources, meters and OTLP by AddPimBridge, comes after it and wins.
builder.Services.AddOpenTelemetry().UseFunctionsWorkerDefaults();
FunctionsComposition.AddPimBridge(builder.Services, builder.Configuration);
await builder.Build().RunAsync();
