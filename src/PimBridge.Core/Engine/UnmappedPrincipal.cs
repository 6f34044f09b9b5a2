using PimBridge.Core.Domain;

namespace PimBridge.Core.Engine;

/// <summary>A principal with a mapped activation but no Identity Center user.</summary>
public sealed record UnmappedPrincipal(EntraPrincipal Principal, string Mapping, string GroupId);
