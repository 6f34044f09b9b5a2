namespace PimBridge.Core.Configuration;

public sealed class IdentityCenterGroupTargetOptions
{
    /// <summary>The Identity Center group id. Set this or <see cref="DisplayName"/>.</summary>
    public string? Id { get; set; }

    public string? DisplayName { get; set; }
}
