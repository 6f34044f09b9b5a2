namespace PimBridge.Core.Domain;

public enum AlertSeverity
{
    Info,
    Warning,
    Critical,
}
