namespace PimBridge.Core.Domain;

public enum GrantState
{
    Active,
    Ended,
}
