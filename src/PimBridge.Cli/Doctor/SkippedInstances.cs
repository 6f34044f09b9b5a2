using Microsoft.Extensions.Logging;
using PimBridge.Entra;

namespace PimBridge.Cli.Doctor;

/// <summary>
/// The PIM source's logger in <c>doctor</c>: keeps the warnings it logs (instances of a group it read but could not turn
/// into activations), so the check reports them rather than losing them.
/// </summary>
internal sealed class SkippedInstances : ILogger<GraphPimSource>
{
    private readonly List<string> _warnings = [];

    /// <summary>The warnings logged since the last call, which forgets them.</summary>
    public IReadOnlyList<string> Take()
    {
        lock (_warnings)
        {
            var taken = _warnings.ToList();
            _warnings.Clear();
            return taken;
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        lock (_warnings) _warnings.Add(formatter(state, exception));
    }
}
