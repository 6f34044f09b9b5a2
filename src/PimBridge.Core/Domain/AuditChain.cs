using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace PimBridge.Core.Domain;

public static class AuditChain
{
    /// <summary>The previous hash of the first entry.</summary>
    public static readonly string Genesis = new('0', 64);

    /// <summary>Chains a record after <paramref name="head"/> (null for an empty log).</summary>
    public static AuditEntry Append(AuditEntry? head, AuditRecord record)
    {
        var seq = (head?.Seq ?? 0) + 1;
        var prev = head?.Hash ?? Genesis;
        return new AuditEntry(seq, record.At, record.Kind, record.Subject, record.Data, prev, Hash(seq, record.At, record.Kind, record.Subject, record.Data, prev));
    }

    public static string Hash(long seq, DateTimeOffset at, string kind, string subject, string data, string prevHash)
    {
        var text = string.Join('\n', seq.ToString(CultureInfo.InvariantCulture), at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), kind, subject, data, prevHash);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>Walks the log in order and reports the first broken link: a gap, a wrong previous hash, or an entry whose content no longer matches its hash.</summary>
    public static async Task<AuditBreak?> VerifyAsync(IAsyncEnumerable<AuditEntry> entries, CancellationToken cancellationToken = default)
    {
        long expectedSeq = 1;
        var prev = Genesis;
        await foreach (var entry in entries.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (entry.Seq != expectedSeq)
                return new AuditBreak(expectedSeq, $"entry {expectedSeq} is missing (found {entry.Seq} next)");
            if (entry.PrevHash != prev)
                return new AuditBreak(entry.Seq, "its previous-hash does not match the entry before it");
            if (entry.Hash != Hash(entry.Seq, entry.At, entry.Kind, entry.Subject, entry.Data, entry.PrevHash))
                return new AuditBreak(entry.Seq, "its content does not match its hash (edited after it was written)");
            prev = entry.Hash;
            expectedSeq++;
        }

        return null;
    }
}
