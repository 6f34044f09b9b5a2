using Microsoft.Extensions.Logging;
using PimBridge.Core.Configuration;

namespace PimBridge.Composition;

/// <summary>
/// Builds the PIM source and the Graph subscriptions from the configuration file's <see cref="CompositionSettings.EntraSection"/>.
/// PimBridge.Entra contributes it; a host that never reads PIM (the AWS-side watcher) does not ship it, and its
/// engine has no PIM source and no subscriptions.
/// </summary>
public interface IEntraPart
{
    /// <exception cref="ConfigurationException">The section is missing or wrong.</exception>
    EntraConnection Connect(string configFile, PimBridgeSettings settings, ILoggerFactory loggerFactory, TimeProvider time);
}
