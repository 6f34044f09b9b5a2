using PimBridge.Core.Domain;

namespace PimBridge.Core.Tests;

public sealed class AuditChainTests
{
    private static readonly DateTimeOffset T = new(2026, 7, 1, 9, 0, 0, TimeSpan.Zero);

    private static List<AuditEntry> Chain(int count)
    {
        var entries = new List<AuditEntry>();
        for (var i = 0; i < count; i++)
            entries.Add(AuditChain.Append(entries.LastOrDefault(), new AuditRecord(T.AddMinutes(i), "grant.started", $"g-{i}", $$"""{"n":{{i}}}""")));
        return entries;
    }

    private static async IAsyncEnumerable<AuditEntry> Stream(IEnumerable<AuditEntry> entries)
    {
        foreach (var entry in entries) yield return entry;
        await Task.CompletedTask;
    }

    [Fact]
    public async Task An_intact_chain_verifies()
    {
        var chain = Chain(5);

        Assert.Null(await AuditChain.VerifyAsync(Stream(chain)));
        Assert.Equal(AuditChain.Genesis, chain[0].PrevHash);
        Assert.Equal(chain[3].Hash, chain[4].PrevHash);
    }

    [Fact]
    public async Task An_edited_entry_is_the_first_broken_link()
    {
        var chain = Chain(5);
        chain[2] = chain[2] with { Data = """{"n":99}""" };

        var broken = await AuditChain.VerifyAsync(Stream(chain));

        Assert.Equal(3, broken!.Seq);
        Assert.Contains("content", broken.Reason);
    }

    [Fact]
    public async Task A_removed_entry_is_reported_as_missing()
    {
        var chain = Chain(5);
        chain.RemoveAt(1);

        Assert.Equal(2, (await AuditChain.VerifyAsync(Stream(chain)))!.Seq);
    }

    [Fact]
    public async Task A_rehashed_forgery_still_breaks_the_next_link()
    {
        var chain = Chain(4);
        var forged = chain[1] with { Subject = "g-forged" };
        chain[1] = forged with { Hash = AuditChain.Hash(forged.Seq, forged.At, forged.Kind, forged.Subject, forged.Data, forged.PrevHash) };

        var broken = await AuditChain.VerifyAsync(Stream(chain));

        Assert.Equal(3, broken!.Seq);
        Assert.Contains("previous-hash", broken.Reason);
    }
}
