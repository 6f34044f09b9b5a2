namespace PimBridge.Aws.IdentityCenter;

/// <summary>
/// A permission set or group name that Identity Center does not know. A <see cref="KeyNotFoundException"/>, so code that
/// does not reference this assembly can still catch it.
/// </summary>
public sealed class IdentityCenterNameNotFoundException(string kind, string name, string searched, string identifier, Exception? innerException = null)
    : KeyNotFoundException($"No {kind} named '{name}' in {searched}. Check the name, or configure the {kind} by its {identifier}.", innerException)
{
    /// <summary>What was looked up: <c>permission set</c> or <c>group</c>.</summary>
    public string Kind { get; } = kind;

    /// <summary>The name that was not found.</summary>
    public string Name { get; } = name;
}
