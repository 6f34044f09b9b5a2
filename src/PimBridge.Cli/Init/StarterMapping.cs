using PimBridge.Core.Domain;

namespace PimBridge.Cli.Init;

/// <summary>
/// One mapping of a <see cref="StarterConfiguration"/>: a PIM group (or the placeholder) to a permission set in accounts
/// (or the placeholders), with notes written as comments above it.
/// </summary>
internal sealed record StarterMapping(string Name, string EntraGroupId, PimAccess Access, string PermissionSet, IReadOnlyList<string> Accounts)
{
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>A mapping with both sides still to fill in: the template's example.</summary>
    public static StarterMapping Example() =>
        new("example", StarterConfiguration.PlaceholderGroupId, PimAccess.Member, StarterConfiguration.PlaceholderPermissionSet, [StarterConfiguration.PlaceholderAccount]);
}
