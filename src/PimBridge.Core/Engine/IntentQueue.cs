using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using PimBridge.Core.Domain;
using PimBridge.Core.Ports;

namespace PimBridge.Core.Engine;

/// <summary>Queues intents into a change, one due intent per kind and subject, under ids this process derives.</summary>
internal sealed class IntentQueue(IStateStore store, string owner)
{
    private long _intentsCreated;

    /// <summary>
    /// A pending intent due within this is touched instead of doubled: one AWS turned away as busy (it looks again
    /// within 1–5 s) takes the new state with it. A new one beside it would run at once and be turned away too: a
    /// mass expiry's removals, each feeding the permission set's fence sync, made it read and write the policy a few
    /// times a second, a third of the request budget its removals needed. Below the first failure backoff's 5 s.
    /// </summary>
    internal static readonly TimeSpan RunsSoonEnough = TimeSpan.FromSeconds(5) - TimeSpan.FromTicks(1);

    /// <summary>
    /// Queues work unless an intent for the same subject is already due or due within <see cref="RunsSoonEnough"/>.
    /// One that is claimed or backing off longer is left alone (touching it would break its executor's confirm); a new
    /// one runs now and finds the work done or not. A due one that this change gives new state to (a fence, a ledger entry) is touched: its claim may have expired
    /// while an executor that read the state before this change is still at work, and the touch makes that
    /// executor's confirm fail, so the intent runs again and sees the new state instead of finishing without it.
    /// </summary>
    public async Task EnsureAsync(StateChange change, IntentKind kind, string subject, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (change.Intents.Any(i => i.Kind == kind && i.Subject == subject && i.State == IntentState.Pending && i.NextAttemptAt <= now))
            return;
        var pending = await store.GetPendingIntentsAsync(kind, subject, cancellationToken).ConfigureAwait(false);
        if (pending.FirstOrDefault(i => i.NextAttemptAt <= now + RunsSoonEnough) is { } due)
        {
            if (!change.IsEmpty && change.Intents.All(i => i.Id != due.Id))
                change.Intents.Add(due); // written as it is: the version moves on
            return;
        }

        change.Intents.Add(new Intent
        {
            Id = NewIntentId(now),
            Kind = kind,
            Subject = subject,
            CreatedAt = now,
            NextAttemptAt = now,
        });
    }

    /// <summary>
    /// Unique because the owner is (one process's own id, as its leases require); derived rather than random so that a
    /// seeded run orders the intents of a tick the same way every time and a failing schedule replays exactly.
    /// </summary>
    private string NewIntentId(DateTimeOffset now)
    {
        var sequence = Interlocked.Increment(ref _intentsCreated);
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{owner}\n{now.UtcTicks}\n{sequence}")));
        return "i-" + Convert.ToHexStringLower(digest.AsSpan(0, 16));
    }
}
