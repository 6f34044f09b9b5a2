namespace PimBridge.Core.Gaps;

/// <summary>What an AWS call after a grant's end says about the fence and the removal.</summary>
public enum GapClass
{
    /// <summary>The call was denied (AccessDenied, UnauthorizedOperation, an expired token and similar): the fence or the removal held.</summary>
    Blocked,

    /// <summary>Allowed, before the session fence was confirmed in place: the window PimBridge closes, but it was open.</summary>
    SucceededBeforeFence,

    /// <summary>Allowed after the fence was confirmed: the fence did not hold. Critical.</summary>
    SucceededAfterFence,

    /// <summary>Credentials were minted after the grant ended: the removal did not hold (or another path grants the role). Critical.</summary>
    CredentialsAfterExpiry,
}
