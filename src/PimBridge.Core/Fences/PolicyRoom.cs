using System.Globalization;
using PimBridge.Core.Domain;

namespace PimBridge.Core.Fences;

/// <summary>
/// How much room a permission set's inline policy had when its last fence sync left fences waiting for it, kept as a
/// checkpoint (<see cref="CheckpointName"/>) that every sync writes: the characters left, or empty when every fence fit.
/// While it says full, a new fence that cannot fit waits for the sync already waiting (it looks again within the retry
/// delay, and a lift queues its own) rather than running one of its own that would read the policy only to find it full.
/// </summary>
public static class PolicyRoom
{
    public static string CheckpointName(string permissionSetArn) => "fence-room|" + permissionSetArn;

    /// <summary>The characters left when the last sync left fences waiting; null when none waited, or no sync has run.</summary>
    public static int? Left(Checkpoint? checkpoint) =>
        int.TryParse(checkpoint?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var room) ? room : null;

    /// <summary>The checkpoint to write after a sync: <paramref name="read"/>, the one read last, at its version.</summary>
    public static Checkpoint Record(string permissionSetArn, Checkpoint? read, int? left, DateTimeOffset at)
    {
        var value = left?.ToString(CultureInfo.InvariantCulture) ?? "";
        return read is null
            ? new Checkpoint { Name = CheckpointName(permissionSetArn), Value = value, UpdatedAt = at }
            : read with { Value = value, UpdatedAt = at };
    }
}
