namespace PimBridge.Core.Fences;

/// <summary>The customer's inline policy cannot be read, so PimBridge will not touch it.</summary>
internal sealed class UnreadablePolicyException(string permissionSetArn, string reason)
    : Exception($"The inline policy of {permissionSetArn} is not a policy PimBridge can merge into ({reason}); fix or remove it in IAM Identity Center. No fence was written.");
