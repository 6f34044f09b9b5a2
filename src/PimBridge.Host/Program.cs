using PimBridge.Host;

// A plain web host: the same wiring `pimbridge serve` uses.
var builder = WebApplication.CreateBuilder(args);
var app = PimBridgeHost.Build(builder, ConfiguredComposition.ComposeAsync);
await app.RunAsync();

/// <summary>The entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
