namespace PimBridge.Core.Domain;

/// <summary>The identity of a live grant: one mapping, one principal, one group, one access.</summary>
public readonly record struct GrantSlot(string Mapping, string PrincipalId, string GroupId, PimAccess Access)
{
    public override string ToString() => $"{Mapping}|{PrincipalId}|{GroupId}|{Access}";
}
