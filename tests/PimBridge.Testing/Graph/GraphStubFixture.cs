using PimBridge.Sandbox;
using PimBridge.Sandbox.Graph;
using Xunit;

namespace PimBridge.Testing.Graph;

/// <summary>Starts one stub per test class and stops it after; each test resets it.</summary>
public sealed class GraphStubFixture : IAsyncLifetime
{
    public GraphStub Stub { get; private set; } = null!;

    public async Task InitializeAsync() => Stub = await GraphStub.StartAsync();

    public async Task DisposeAsync() => await Stub.DisposeAsync();
}
