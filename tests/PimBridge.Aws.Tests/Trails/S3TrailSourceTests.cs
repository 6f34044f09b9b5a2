using System.Net;
using System.Text;
using System.Text.Json;
using PimBridge.Aws.Tests.Integration;
using PimBridge.Aws.Tests.Wire;
using PimBridge.Aws.Trails;
using PimBridge.Core.Gaps;
using PimBridge.Store.Sqlite;
using PimBridge.Testing;

namespace PimBridge.Aws.Tests.Trails;

/// <summary>The S3 trail source against a real moto bucket laid out as an organization trail.</summary>
[Collection(MotoCollection.Name)]
public sealed class S3TrailSourceTests(MotoFixture moto)
{
    private const string Member = "950363612855";
    private const string Second = "111122223333";
    private const string Unwatched = "222233334444";
    private const string IdentityCenter = TrailJson.IdentityCenterAccount;
    private const string Sydney = "ap-southeast-2";
    private const string Virginia = "us-east-1";
    private const string User = "aidan.steele@glassechidna.com.au";
    private const string UserId = "976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa";
    private static readonly TrailRecordFilter Watching = new(["AdministratorAccess"], [User], [UserId]);

    private static DateTimeOffset At(int day, int hour, int minute) => new(2026, 7, day, hour, minute, 0, TimeSpan.Zero);

    private static System.Text.Json.Nodes.JsonObject Call(string id, DateTimeOffset time, string account, string region = Sydney) =>
        TrailJson.RoleSessionCall(id, time, account, "AdministratorAccess", User, region: region);

    private static ActivityQuery Query(DateTimeOffset from, DateTimeOffset until, ITrailCursors? cursors = null, params string[] accounts) =>
        new(accounts.Length == 0 ? [Member] : accounts, from, until, Watching, cursors ?? NoTrailCursors.Instance);

    [Fact]
    public async Task A_scan_reads_exactly_the_trail_files_of_the_watched_accounts_Regions_and_days()
    {
        using var bucket = await TrailBucket.CreateAsync(moto);
        var f1 = await bucket.PutTrailFileAsync(Member, Sydney, At(1, 10, 5), "Mu0KsOhtH1ar15ZZ",
            Call("r1", At(1, 10, 1), Member),
            TrailJson.RoleSessionCall("other-permission-set", At(1, 10, 2), Member, "ReadOnly", User),
            TrailJson.OtherRoleCall("other-role", At(1, 10, 3), Member, "ci-deployer", "build-17"));
        var f2 = await bucket.PutTrailFileAsync(Member, Virginia, At(1, 12, 0), "b2ZmRsaXN0ZW5lcg", Call("r2", At(1, 11, 58), Member, Virginia));
        // Delivered after midnight, in the next day's folder, with an event from the day before.
        var f3 = await bucket.PutTrailFileAsync(Member, Sydney, At(2, 0, 3), "c3VjY2Vzc2Z1bGx5", Call("r3", At(1, 23, 58), Member));
        var f4 = await bucket.PutTrailFileAsync(Second, Sydney, At(1, 10, 20), "ZGVsaXZlcmVkMDAx", Call("r4", At(1, 10, 18), Second));
        var f5 = await bucket.PutTrailFileAsync(IdentityCenter, Virginia, At(1, 10, 25), "aWRlbnRpdHljZW50", TrailJson.GetRoleCredentials("r5", At(1, 10, 21), UserId, Member, "AdministratorAccess"));
        // Not read: an unwatched account, a day before the query, a day after its end plus one, delivered before the query began.
        await bucket.PutTrailFileAsync(Unwatched, Sydney, At(1, 10, 5), "dW53YXRjaGVkMDAx", Call("x-unwatched", At(1, 10, 1), Unwatched));
        await bucket.PutTrailFileAsync(Member, Sydney, At(3, 0, 10), "aWdub3JlZDAwMDAx", Call("x-late-day", At(1, 12, 0), Member));
        await bucket.PutTrailFileAsync(Member, Sydney, new DateTimeOffset(2026, 6, 30, 23, 0, 0, TimeSpan.Zero), "ZGF5YmVmb3JlMDAx", Call("x-day-before", At(1, 10, 1), Member));
        await bucket.PutTrailFileAsync(Member, Sydney, At(1, 9, 30), "ZWFybGllcjAwMDAx", Call("x-delivered-before", At(1, 9, 29), Member));
        // Not trail logs: a digest, a file with another name, another extension, a folder that is not a Region.
        await bucket.PutAsync($"{TrailBucket.Prefix}/AWSLogs/{TrailBucket.Organization}/{Member}/CloudTrail-Digest/{Sydney}/2026/07/01/{Member}_CloudTrail-Digest_{Sydney}_org-trail_{Sydney}_20260701T110000Z.json.gz", TrailJson.Gzip("""{"awsAccountId":"950363612855"}"""));
        await bucket.PutAsync($"{TrailBucket.Prefix}/AWSLogs/{TrailBucket.Organization}/{Member}/CloudTrail/{Sydney}/2026/07/01/notes.json", Encoding.UTF8.GetBytes("{}"));
        await bucket.PutAsync($"{TrailBucket.Prefix}/AWSLogs/{TrailBucket.Organization}/{Member}/CloudTrail/{Sydney}/2026/07/01/{Member}_CloudTrail_{Sydney}_20260701T1100Z_readme.txt", Encoding.UTF8.GetBytes("hello"));
        await bucket.PutAsync($"{TrailBucket.Prefix}/AWSLogs/{TrailBucket.Organization}/{Member}/CloudTrail/not-a-region/2026/07/01/x.json.gz", TrailJson.Gzip(TrailJson.File([Call("x-folder", At(1, 10, 1), Member)])));

        var time = new ManualTimeProvider(At(3, 0, 30));
        using var source = new S3TrailSource(bucket.Client, bucket.Options(time, o => o.IdentityCenterAccountId = IdentityCenter));
        var batches = await source.ReadAsync(Query(At(1, 10, 0), At(1, 23, 59), null, Member, Second)).ToListAsync();

        Assert.Equal(new[] { f1, f3, f2, f4, f5 }.Select(k => $"s3://{bucket.Name}/{k}"), batches.Select(b => b.Origin));
        Assert.Equal(["r1", "r3", "r2", "r4", "r5"], batches.SelectMany(b => b.Records).Select(r => r.EventId));
        Assert.Equal(3, batches[0].Stats.Records);
        Assert.Equal(1, batches[0].Stats.Candidates);
        Assert.All(batches, b => Assert.Equal(0, b.Stats.DamagedFiles));
        Assert.Equal($"s3:{bucket.Name}/{TrailBucket.Prefix}/AWSLogs/{TrailBucket.Organization}/{Member}/CloudTrail/{Sydney}/2026/07/01/", batches[0].Cursor!.Name);
        Assert.Equal($"s3:{bucket.Name}/{TrailBucket.Prefix}/AWSLogs/{TrailBucket.Organization}/{Member}/CloudTrail/{Sydney}/2026/07/02/", batches[1].Cursor!.Name);
        Assert.All(batches, b => Assert.Equal(0, b.Cursor!.Version));
        Assert.StartsWith($"s3://{bucket.Name}/{TrailBucket.Prefix}/AWSLogs/{TrailBucket.Organization}", source.Describe);
    }

    [Fact]
    public async Task After_a_restart_read_files_are_not_read_again_and_late_files_in_the_same_minute_are()
    {
        using var bucket = await TrailBucket.CreateAsync(moto);
        var time = new ManualTimeProvider(At(1, 10, 30));
        var database = Path.Combine(Path.GetTempPath(), $"pimbridge-cursors-{Guid.NewGuid():N}.db");
        try
        {
            var first = await bucket.PutTrailFileAsync(Member, Sydney, At(1, 10, 5), "MMMMMMMMMMMMMMMM", Call("a", At(1, 10, 2), Member));
            var second = await bucket.PutTrailFileAsync(Member, Sydney, At(1, 10, 10), "QQQQQQQQQQQQQQQQ", Call("b", At(1, 10, 8), Member));

            await using (var store = await SqliteStateStore.OpenAsync(database))
            {
                var cursors = new StoreCursors(store);
                using var source = new S3TrailSource(bucket.Client, bucket.Options(time, o => o.Regions = [Sydney]));
                await foreach (var batch in source.ReadAsync(Query(At(1, 10, 0), At(1, 12, 0), cursors)))
                    await cursors.SaveAsync(batch);
            }

            // Delivered later but named in the same minute as the last file read, sorting before it; and a newer one.
            var sameMinute = await bucket.PutTrailFileAsync(Member, Sydney, At(1, 10, 10), "AAAAAAAAAAAAAAAA", Call("c", At(1, 10, 9), Member));
            var newer = await bucket.PutTrailFileAsync(Member, Sydney, At(1, 10, 20), "GGGGGGGGGGGGGGGG", Call("d", At(1, 10, 19), Member));

            await using (var store = await SqliteStateStore.OpenAsync(database))
            {
                var cursors = new StoreCursors(store);
                using var source = new S3TrailSource(bucket.Client, bucket.Options(time, o => o.Regions = [Sydney]));
                var batches = new List<TrailBatch>();
                await foreach (var batch in source.ReadAsync(Query(At(1, 10, 0), At(1, 12, 0), cursors)))
                {
                    batches.Add(batch);
                    await cursors.SaveAsync(batch);
                }

                Assert.Equal(new[] { sameMinute, newer }.Select(k => $"s3://{bucket.Name}/{k}"), batches.Select(b => b.Origin));
                Assert.Equal(["c", "d"], batches.SelectMany(b => b.Records).Select(r => r.EventId));

                var saved = JsonDocument.Parse((await cursors.GetAsync(source.CursorName(Member, Sydney, new DateOnly(2026, 7, 1))))!).RootElement;
                Assert.Equal("20260701T1005Z", saved.GetProperty("watermark").GetString());
                Assert.Equal(new[] { first, second, sameMinute, newer }.Order(StringComparer.Ordinal), saved.GetProperty("seen").EnumerateArray().Select(e => e.GetString()!));

                // Nothing new: nothing read.
                Assert.Empty(await source.ReadAsync(Query(At(1, 10, 0), At(1, 12, 0), cursors)).ToListAsync());
            }
        }
        finally
        {
            foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(database) + "*"))
                File.Delete(file);
        }
    }

    [Fact]
    public async Task A_truncated_object_is_counted_damaged_and_the_scan_goes_on()
    {
        using var bucket = await TrailBucket.CreateAsync(moto);
        var whole = TrailJson.Gzip(TrailJson.File([Call("kept", At(1, 10, 1), Member), Call("lost", At(1, 10, 2), Member)]));
        var truncated = TrailJson.OrganizationTrailKey(TrailBucket.Organization, Member, Sydney, At(1, 10, 5), "dHJ1bmNhdGVkMDAx", TrailBucket.Prefix);
        await bucket.PutAsync(truncated, whole[..(whole.Length * 3 / 4)]);
        await bucket.PutTrailFileAsync(Member, Sydney, At(1, 10, 10), "Z29vZDAwMDAwMDAx", Call("after", At(1, 10, 8), Member));

        using var source = new S3TrailSource(bucket.Client, bucket.Options(new ManualTimeProvider(At(1, 11, 0)), o => o.Regions = [Sydney]));
        var batches = await source.ReadAsync(Query(At(1, 10, 0), At(1, 11, 0))).ToListAsync();

        Assert.Equal(2, batches.Count);
        Assert.Equal(1, batches[0].Stats.DamagedFiles);
        Assert.Contains(truncated, Assert.Single(batches[0].Stats.Problems));
        Assert.NotNull(batches[0].Cursor);
        Assert.Equal(0, batches[1].Stats.DamagedFiles);
        Assert.Equal(["after"], batches[1].Records.Select(r => r.EventId));
    }

    [Fact]
    public async Task A_download_that_breaks_off_is_fetched_again_and_not_taken_for_damage()
    {
        using var bucket = await TrailBucket.CreateAsync(moto);
        var key = await bucket.PutTrailFileAsync(Member, Sydney, At(1, 10, 5), "YnJva2VuMDAwMDAx",
            Enumerable.Range(0, 200).Select(i => (System.Text.Json.Nodes.JsonNode)Call($"e-{i:D3}", At(1, 10, 1), Member)).ToArray());
        var breaking = new BreakingHandler(breakFirst: 1);
        using var client = TrailBucket.ClientFor(moto, breaking);

        using var source = new S3TrailSource(client, bucket.Options(new ManualTimeProvider(At(1, 11, 0)), o => o.Regions = [Sydney]));
        var batch = Assert.Single(await source.ReadAsync(Query(At(1, 10, 0), At(1, 11, 0))).ToListAsync());

        Assert.Equal(2, breaking.Gets);
        Assert.Equal(0, batch.Stats.DamagedFiles);
        Assert.Equal(200, batch.Records.Count);
        Assert.EndsWith(key, batch.Origin);
    }

    [Fact]
    public async Task A_download_that_keeps_breaking_fails_the_read_before_its_cursor_moves()
    {
        using var bucket = await TrailBucket.CreateAsync(moto);
        await bucket.PutTrailFileAsync(Member, Sydney, At(1, 10, 5), "YnJva2VuMDAwMDAy",
            Enumerable.Range(0, 200).Select(i => (System.Text.Json.Nodes.JsonNode)Call($"e-{i:D3}", At(1, 10, 1), Member)).ToArray());
        var breaking = new BreakingHandler(breakFirst: int.MaxValue);
        using var client = TrailBucket.ClientFor(moto, breaking);

        using var source = new S3TrailSource(client, bucket.Options(new ManualTimeProvider(At(1, 11, 0)), o => o.Regions = [Sydney]));
        var batches = new List<TrailBatch>();
        var error = await Assert.ThrowsAsync<IOException>(async () =>
        {
            await foreach (var batch in source.ReadAsync(Query(At(1, 10, 0), At(1, 11, 0)))) batches.Add(batch);
        });

        Assert.Empty(batches);
        Assert.Equal(3, breaking.Gets);
        Assert.Contains("could not be downloaded to its end in 3 attempt(s)", error.Message);
    }

    [Fact]
    public async Task A_single_account_trail_has_no_organization_segment()
    {
        using var bucket = await TrailBucket.CreateAsync(moto);
        var key = $"AWSLogs/{Member}/CloudTrail/{Sydney}/2026/07/01/{Member}_CloudTrail_{Sydney}_20260701T1005Z_c2luZ2xlMDAwMDAx.json.gz";
        await bucket.PutAsync(key, TrailJson.Gzip(TrailJson.File([Call("single", At(1, 10, 1), Member)])));

        using var source = new S3TrailSource(bucket.Client, new S3TrailSourceOptions { Bucket = bucket.Name, TimeProvider = new ManualTimeProvider(At(1, 11, 0)) });
        var batch = Assert.Single(await source.ReadAsync(Query(At(1, 10, 0), At(1, 11, 0))).ToListAsync());

        Assert.Equal($"s3://{bucket.Name}/{key}", batch.Origin);
        Assert.Equal(["single"], batch.Records.Select(r => r.EventId));
        Assert.Equal($"s3://{bucket.Name}/AWSLogs", source.Describe);
    }

    /// <summary>Breaks the body of the first <c>breakFirst</c> object downloads half-way, as a dropped connection would.</summary>
    private sealed class BreakingHandler(int breakFirst) : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _gets;

        public int Gets => _gets;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var isObjectGet = request.Method == HttpMethod.Get && request.RequestUri!.AbsolutePath.EndsWith(".json.gz", StringComparison.Ordinal);
            if (!isObjectGet || response.StatusCode != HttpStatusCode.OK || Interlocked.Increment(ref _gets) > breakFirst)
                return response;
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var broken = new StreamContent(new BreakingStream(body, body.Length / 2));
            foreach (var header in response.Content.Headers) broken.Headers.TryAddWithoutValidation(header.Key, header.Value);
            response.Content = broken;
            return response;
        }
    }

    private sealed class BreakingStream(byte[] data, int breakAt) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(Span<byte> buffer)
        {
            if (_position >= breakAt) throw new IOException("The response ended prematurely (simulated connection reset).");
            var n = Math.Min(buffer.Length, breakAt - _position);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
