using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using PimBridge.Functions;

// The Function App's worker process (the .NET isolated worker model): ASP.NET Core integration for the HTTP
// function, and the same host services `pimbridge serve` runs, the background workers included.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
FunctionsComposition.AddPimBridge(builder.Services, builder.Configuration);
await builder.Build().RunAsync();
