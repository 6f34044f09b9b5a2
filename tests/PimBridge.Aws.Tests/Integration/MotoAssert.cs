using System.Text.Json;

namespace PimBridge.Aws.Tests.Integration;

/// <summary>Assertions shared by the moto integration tests.</summary>
public static class MotoAssert
{
    /// <summary>Every page asked for one item; each request carried the token the previous response returned; the last returned none.</summary>
    public static void TokensChained(IReadOnlyList<MotoExchange> pages)
    {
        for (var i = 0; i < pages.Count; i++)
        {
            Assert.Equal(200, pages[i].Status);
            Assert.Equal(1, pages[i].Request.GetProperty("MaxResults").GetInt32());
            if (i == 0)
                Assert.False(pages[i].Request.TryGetProperty("NextToken", out _), "the first request must not carry a NextToken");
            else
                Assert.Equal(pages[i - 1].Response.GetProperty("NextToken").GetString(), pages[i].Request.GetProperty("NextToken").GetString());
            var next = pages[i].Response.GetProperty("NextToken");
            if (i == pages.Count - 1)
                Assert.Equal(JsonValueKind.Null, next.ValueKind);
            else
                Assert.False(string.IsNullOrEmpty(next.GetString()), $"page {i + 1} of {pages.Count} returned no NextToken");
        }
    }

    /// <summary>What a correct epoch-seconds reader makes of a (fractional) JSON number: millisecond precision.</summary>
    public static DateTimeOffset FromEpochSeconds(double seconds) => DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000));
}
