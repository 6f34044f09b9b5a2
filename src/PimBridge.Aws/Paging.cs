using System.Runtime.CompilerServices;

namespace PimBridge.Aws;

/// <summary>Turns a token-paged AWS list operation into a stream of items.</summary>
internal static class Paging
{
    public static async IAsyncEnumerable<TItem> Stream<TPage, TItem>(
        string? firstToken,
        Func<string?, CancellationToken, Task<TPage>> fetch,
        Func<TPage, IEnumerable<TItem>?> items,
        Func<TPage, string?> nextToken,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var token = firstToken;
        do
        {
            var page = await fetch(token, cancellationToken).ConfigureAwait(false);
            foreach (var item in items(page) ?? [])
                yield return item;
            var next = nextToken(page);
            // A service that hands back the token it was given would loop forever.
            if (next is not null && next == token)
                throw new InvalidOperationException($"The service returned the same NextToken twice ('{next}'); stopping to avoid an endless loop.");
            token = next;
        }
        while (!string.IsNullOrEmpty(token));
    }
}
