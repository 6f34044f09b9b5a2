using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using PimBridge.Composition;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;

namespace PimBridge.Entra;

/// <summary>
/// The Entra side of the composition: the PIM source and the Graph subscriptions from the configuration file's
/// <c>Entra</c> section (<c>PIMBRIDGE_Entra__…</c> variables on top). A host that reads PIM passes it as
/// <see cref="ComposedEngineInputs.Entra"/>.
/// </summary>
public sealed class EntraPart : IEntraPart
{
    public EntraConnection Connect(string configFile, PimBridgeSettings settings, ILoggerFactory loggerFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var entra = LoadOptions(configFile, out _);
        entra.Validate();
        var graph = GraphClients.Create(entra);
        var pim = new GraphPimSource(graph, entra, loggerFactory.CreateLogger<GraphPimSource>(), time);
        var subscriptions = new GraphSubscriptions(graph, entra.Subscriptions,
            settings.Mappings.Select(m => m.EntraGroupId), settings.Mappings.Where(m => m.Access == PimAccess.Owner).Select(m => m.EntraGroupId), time);
        return new EntraConnection(pim, subscriptions, new GraphGroupMembershipDelta(graph, time));
    }

    /// <summary>
    /// The file's <see cref="CompositionSettings.EntraSection"/> (<c>PIMBRIDGE_Entra__…</c> variables on top), bound
    /// but not checked: the one reading of it for the composition and for the tools that check it first
    /// (<c>pimbridge serve</c>, <c>doctor</c>).
    /// </summary>
    /// <param name="present">Whether the file (or a <c>PIMBRIDGE_Entra__</c> variable) has the section at all: the
    /// AWS-side watcher's configuration has none.</param>
    /// <exception cref="InvalidDataException">The file is not valid JSON.</exception>
    /// <exception cref="InvalidOperationException">A value does not fit its setting's type.</exception>
    public static EntraOptions LoadOptions(string configFile, out bool present)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configFile);
        var entra = new EntraOptions();
        var section = new ConfigurationBuilder()
            .AddJsonFile(Path.GetFullPath(configFile), optional: false)
            .AddEnvironmentVariables(PimBridgeConfiguration.EnvironmentPrefix)
            .Build().GetSection(CompositionSettings.EntraSection);
        present = section.Exists();
        section.Bind(entra);
        return entra;
    }
}
