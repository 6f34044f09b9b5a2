namespace PimBridge.Core.Fences;

/// <summary>
/// The inline policy to write for a permission set's fences, which fences did not fit, and how many characters more the
/// policy could take (<see cref="FencePolicy.MightFit"/>).
/// </summary>
public sealed record FencePolicyResult(string? Policy, IReadOnlyList<string> Written, IReadOnlyList<string> Overflow, int Room);
