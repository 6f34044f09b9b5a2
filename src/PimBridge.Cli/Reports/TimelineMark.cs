namespace PimBridge.Cli.Reports;

internal enum TimelineMark
{
    Activation,
    End,
    Removal,
    Fence,
    Event,
}
