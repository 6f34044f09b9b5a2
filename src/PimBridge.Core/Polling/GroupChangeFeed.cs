using System.Security.Cryptography;
using System.Text;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Core.Polling;

/// <summary>
/// Which of the mapped groups changed since the poll last looked, from the membership delta
/// (<see cref="IGroupMembershipDelta"/>), with its cursors kept in the store as the checkpoint
/// <see cref="CheckpointName"/> so a restart reads on where it stopped. The groups are split into batches of
/// <see cref="IGroupMembershipDelta.MaxGroupsPerQuery"/>, each with its own cursor. A delta is a hint to read PIM,
/// never a grant: whenever it cannot speak for a batch (no cursor yet, a cursor the store cannot read or Graph rejects,
/// an answer not of the documented shape) every group of the batch is reported changed, so PIM is read in full.
/// </summary>
/// <remarks>
/// Two steps, so a change is never lost: <see cref="ReadAsync"/> saves nothing; the caller reads the changed groups from
/// PIM and then <see cref="CommitAsync"/> saves the new cursors. A failure in between leaves the old cursors, and the
/// next round sees the same changes again.
/// </remarks>
public sealed class GroupChangeFeed(IStateStore store, IGroupMembershipDelta delta, TimeProvider time)
{
    public const string CheckpointName = "graph:group-membership-delta";

    /// <summary>Reads the delta of <paramref name="groupIds"/>; saves nothing.</summary>
    /// <exception cref="Exception">Whatever the delta source throws other than a rejected cursor or a malformed answer (throttling, no answer).</exception>
    public async Task<GroupChanges> ReadAsync(IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groupIds);
        var groups = groupIds.Select(g => g.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var saved = await store.GetCheckpointAsync(CheckpointName, cancellationToken).ConfigureAwait(false);
        var warnings = new List<string>();
        var cursors = Parse(saved, warnings);
        var changed = new HashSet<string>(StringComparer.Ordinal);
        var next = new List<(string Batch, string Cursor)>();
        var firstRound = false;
        var requests = 0;
        foreach (var batch in groups.Chunk(Math.Max(1, delta.MaxGroupsPerQuery)))
        {
            var key = BatchKey(batch);
            var cursor = cursors.GetValueOrDefault(key);
            MembershipDeltaRound round;
            try
            {
                round = await ReadBatchAsync(batch, cursor, warnings, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException ex)
            {
                // Not the documented shape: nothing in it is believed, not even its cursor; the next round starts over.
                warnings.Add($"the membership delta of {Describe(batch)} was not the documented shape ({ex.Message}); reading them from PIM and starting the delta over");
                changed.UnionWith(batch);
                continue;
            }

            requests += round.Requests;
            next.Add((key, round.Cursor));
            if (cursor is null)
            {
                firstRound = true;
                changed.UnionWith(batch); // no "since": everything counts as changed
            }
            else
            {
                // A group the query did not name is not believed either; it is not a mapped group of this batch.
                changed.UnionWith(round.ChangedGroups.Select(g => g.ToLowerInvariant()).Where(batch.Contains));
            }
        }

        var value = string.Join('\n', next.Select(n => $"{n.Batch}\t{n.Cursor}"));
        return new GroupChanges(changed, warnings)
        {
            FirstRound = firstRound,
            Requests = requests,
            Next = new Checkpoint { Name = CheckpointName, Value = value, UpdatedAt = time.GetUtcNow(), Version = saved?.Version ?? 0 },
        };
    }

    /// <summary>
    /// Saves the cursors <paramref name="changes"/> read on to, once its groups were read from PIM. False, having saved
    /// nothing, when another instance moved them meanwhile: it read the same changes, and the next round reads on from its cursors.
    /// </summary>
    public async Task<bool> CommitAsync(GroupChanges changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Next is not { } next) return true;
        var change = new StateChange();
        change.Checkpoints.Add(next);
        try
        {
            await store.CommitAsync(change, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConcurrencyConflictException)
        {
            return false;
        }
    }

    private async Task<MembershipDeltaRound> ReadBatchAsync(IReadOnlyList<string> batch, string? cursor, List<string> warnings, CancellationToken cancellationToken)
    {
        if (cursor is null)
            return await delta.ReadAsync(batch, null, cancellationToken).ConfigureAwait(false);
        try
        {
            return await delta.ReadAsync(batch, cursor, cancellationToken).ConfigureAwait(false);
        }
        catch (DeltaCursorRejectedException ex)
        {
            warnings.Add($"Graph rejected the saved membership delta cursor of {Describe(batch)} ({ex.Message}); reading them from PIM and starting the delta over");
            var fresh = await delta.ReadAsync(batch, null, cancellationToken).ConfigureAwait(false);
            // Every group of the batch counts as changed: the rejected cursor's changes are unknown.
            return fresh with { ChangedGroups = batch.ToHashSet(StringComparer.Ordinal) };
        }
    }

    /// <summary>The saved cursors by batch; an unreadable checkpoint counts as none (and says so).</summary>
    private static Dictionary<string, string> Parse(Checkpoint? saved, List<string> warnings)
    {
        var cursors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (saved is null || saved.Value.Length == 0) return cursors;
        foreach (var line in saved.Value.Split('\n'))
        {
            var parts = line.Split('\t');
            if (parts.Length != 2 || parts[0].Length == 0 || !Uri.TryCreate(parts[1], UriKind.Absolute, out var link) || link.Scheme is not ("https" or "http"))
            {
                warnings.Add($"the saved membership delta cursors (checkpoint {CheckpointName}) are unreadable; reading every mapped group from PIM and starting the delta over");
                return new Dictionary<string, string>(StringComparer.Ordinal);
            }

            cursors[parts[0]] = parts[1];
        }

        return cursors;
    }

    /// <summary>A batch's name in the checkpoint: a hash of its groups, so a changed mapping starts that batch over.</summary>
    private static string BatchKey(IReadOnlyList<string> batch) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(',', batch))))[..32];

    private static string Describe(IReadOnlyList<string> batch) => batch.Count == 1 ? $"group {batch[0]}" : $"{batch.Count} groups ({batch[0]} …)";
}
