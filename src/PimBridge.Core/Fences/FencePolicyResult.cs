namespace PimBridge.Core.Fences;

/// <summary>The inline policy to write for a permission set's fences, and which fences did not fit.</summary>
public sealed record FencePolicyResult(string? Policy, IReadOnlyList<string> Written, IReadOnlyList<string> Overflow);
