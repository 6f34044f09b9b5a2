namespace PimBridge.Core.Domain;

public enum EntitlementKind
{
    GroupMembership,
    AccountAssignment,
}
