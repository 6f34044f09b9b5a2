namespace PimBridge.Sandbox.Scenarios;

/// <summary>What happens at a timeline step.</summary>
public enum ScenarioEventKind
{
    /// <summary>A user activates their PIM eligibility in a group for a while (PIM then expires it by itself).</summary>
    Activate,

    /// <summary>A user deactivates their active PIM activation early.</summary>
    Deactivate,

    /// <summary>A user calls an AWS API with a permission set's role session in an account (CloudTrail records it).</summary>
    AwsCall,

    /// <summary>A user gets role credentials from the access portal (CloudTrail records it in the Identity Center account).</summary>
    GetRoleCredentials,

    /// <summary>PIM ends an activation at its end time; the runner adds these, scenarios do not list them.</summary>
    Expire,
}
