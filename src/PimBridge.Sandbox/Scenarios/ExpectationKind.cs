namespace PimBridge.Sandbox.Scenarios;

/// <summary>The outcomes a scenario can expect besides alerts.</summary>
public enum ExpectationKind
{
    /// <summary>An activation of the user in the group became AWS access (read back from Identity Center).</summary>
    AccessGranted,

    /// <summary>The user's access through the group was removed from Identity Center when PIM's activation ended.</summary>
    AccessRemoved,

    /// <summary>The user's live sessions of the permission set were fenced (a Deny in the inline policy, provisioned).</summary>
    SessionsFenced,

    /// <summary>At the end, every statement of the permission set's customer inline policy is still there, unchanged.</summary>
    CustomerPolicyKept,
}
