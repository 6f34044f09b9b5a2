using Microsoft.Extensions.Hosting;

namespace PimBridge.Sandbox.Graph;

/// <summary>A host lifetime that starts and stops only when its owner says so: no signal handling, no console messages.</summary>
public sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
