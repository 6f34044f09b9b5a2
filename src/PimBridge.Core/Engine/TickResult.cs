namespace PimBridge.Core.Engine;

/// <summary>What one tick did.</summary>
public sealed record TickResult(int GrantsEnded, int FencesDue, int IntentsDone, int IntentsFailed, int IntentsSuperseded, int IntentsWaiting)
{
    /// <summary>A tick that did nothing: the sum of no ticks.</summary>
    public static readonly TickResult None = new(0, 0, 0, 0, 0, 0);

    public bool DidNothing => GrantsEnded + FencesDue + IntentsDone + IntentsFailed + IntentsSuperseded + IntentsWaiting == 0;

    public static TickResult operator +(TickResult left, TickResult right) => new(
        left.GrantsEnded + right.GrantsEnded, left.FencesDue + right.FencesDue, left.IntentsDone + right.IntentsDone,
        left.IntentsFailed + right.IntentsFailed, left.IntentsSuperseded + right.IntentsSuperseded, left.IntentsWaiting + right.IntentsWaiting);
}
