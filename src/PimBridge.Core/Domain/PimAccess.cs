namespace PimBridge.Core.Domain;

/// <summary>Which PIM-for-Groups relationship an activation grants.</summary>
public enum PimAccess
{
    Member,
    Owner,
}
