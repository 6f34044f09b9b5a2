namespace PimBridge.Core.Configuration;

public sealed record FenceSettings(TimeSpan CutoffMargin, TimeSpan UntilMargin)
{
    public static readonly FenceSettings Default = new(TimeSpan.FromMinutes(60), TimeSpan.FromMinutes(15));
}
