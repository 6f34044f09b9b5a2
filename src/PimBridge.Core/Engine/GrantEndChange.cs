using PimBridge.Core.Domain;

namespace PimBridge.Core.Engine;

/// <summary>An active grant whose end moves: PIM extended or shortened the activation.</summary>
public sealed record GrantEndChange(ActiveGrant Grant, DateTimeOffset? NewEnd, string NewActivationId)
{
    public bool IsExtension => NewEnd is null || (Grant.End is { } old && NewEnd > old);
}
