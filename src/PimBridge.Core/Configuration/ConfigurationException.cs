namespace PimBridge.Core.Configuration;

/// <summary>Configuration is wrong. <see cref="Problems"/> lists each problem as "where: what is wrong; what to do".</summary>
public sealed class ConfigurationException(IReadOnlyList<string> problems, Exception? inner = null)
    : Exception("The PimBridge configuration is not valid:\n- " + string.Join("\n- ", problems), inner)
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
