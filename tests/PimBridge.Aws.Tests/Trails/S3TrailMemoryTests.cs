using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using PimBridge.Aws.Tests.Integration;
using PimBridge.Aws.Tests.Wire;
using PimBridge.Aws.Trails;
using PimBridge.Core.Gaps;
using PimBridge.Testing;

namespace PimBridge.Aws.Tests.Trails;

/// <summary>Runs alone, after the parallel tests, so the process-wide allocation count is this test's own.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialMotoCollection : ICollectionFixture<MotoFixture>
{
    public const string Name = "moto, alone";
}

[Collection(SerialMotoCollection.Name)]
public sealed class S3TrailMemoryTests(MotoFixture moto)
{
    private const string Member = "950363612855";
    private const string Region = "ap-southeast-2";
    private const string User = "aidan.steele@glassechidna.com.au";
    private const long Uncompressed = 50L * 1024 * 1024;

    [Fact]
    public async Task A_50_MB_object_is_streamed_not_held_in_memory()
    {
        using var bucket = await TrailBucket.CreateAsync(moto);
        var delivered = new DateTimeOffset(2026, 7, 1, 10, 5, 0, TimeSpan.Zero);
        var key = TrailJson.OrganizationTrailKey(TrailBucket.Organization, Member, Region, delivered, "bGFyZ2UwMDAwMDAx", TrailBucket.Prefix);
        var (size, watched) = await PutLargeTrailFileAsync(bucket, key, delivered);

        var probe = new LiveMemoryProbe(every: 2 * 1024 * 1024);
        using var client = TrailBucket.ClientFor(moto, probe);
        using var source = new S3TrailSource(client, bucket.Options(new ManualTimeProvider(delivered.AddHours(1)), o => o.Regions = [Region]));
        var query = new ActivityQuery([Member], delivered.AddHours(-1), delivered.AddHours(1), new TrailRecordFilter(["AdministratorAccess"], [User], []), NoTrailCursors.Instance);

        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var batch = Assert.Single(await source.ReadAsync(query).ToListAsync());

        Assert.Equal(watched, batch.Records.Select(r => r.EventId));
        Assert.Equal(0, batch.Stats.DamagedFiles);
        Assert.True(batch.Stats.Bytes >= Uncompressed, $"read {batch.Stats.Bytes} bytes");
        Assert.True(probe.Samples >= size / (2 * 1024 * 1024), $"only {probe.Samples} samples");
        // Live memory (after a full collection) while the body streams in: holding the object, or its JSON, would
        // grow it by tens of MB; streaming keeps it at the reader's buffer and the few records kept.
        var growth = probe.PeakLiveBytes - baseline;
        Assert.True(growth < size / 8, $"while a {size / (1024 * 1024)} MB object ({Uncompressed / (1024 * 1024)} MB of JSON) was read, live memory grew by {growth / (1024 * 1024.0):0.0} MB");
    }

    /// <summary>
    /// Writes the large file to disk and uploads it from there, so no copy of it is in memory when reading starts and
    /// the baseline is only what the process held before.
    /// </summary>
    private static async Task<(long Size, List<string> Watched)> PutLargeTrailFileAsync(TrailBucket bucket, string key, DateTimeOffset delivered)
    {
        var path = Path.Combine(Path.GetTempPath(), $"pimbridge-large-trail-{Guid.NewGuid():N}.json.gz");
        try
        {
            List<string> watched;
            await using (var file = File.Create(path))
                watched = WriteLargeTrailFile(file, delivered);
            await bucket.Client.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = bucket.Name, Key = key, FilePath = path });
            return (new FileInfo(path).Length, watched);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// Under the S3 client: hands object bodies on through a stream that, every <c>every</c> bytes read, measures live
    /// memory after a full collection, so garbage churn (the SDK's hashing allocates per read) does not count.
    /// </summary>
    private sealed class LiveMemoryProbe(long every) : DelegatingHandler(new SocketsHttpHandler())
    {
        private long _peak;
        private int _samples;

        public long PeakLiveBytes => Interlocked.Read(ref _peak);

        public int Samples => _samples;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.Method != HttpMethod.Get || !request.RequestUri!.AbsolutePath.EndsWith(".json.gz", StringComparison.Ordinal))
                return response;
            var probed = new StreamContent(new ProbeStream(await response.Content.ReadAsStreamAsync(cancellationToken), this));
            foreach (var header in response.Content.Headers) probed.Headers.TryAddWithoutValidation(header.Key, header.Value);
            response.Content = probed;
            return response;
        }

        private void Sample()
        {
            Interlocked.Increment(ref _samples);
            var live = GC.GetTotalMemory(forceFullCollection: true);
            long peak;
            while (live > (peak = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, live, peak) != peak) { }
        }

        private sealed class ProbeStream(Stream inner, LiveMemoryProbe probe) : Stream
        {
            private long _read;

            public override bool CanRead => true;
            public override bool CanSeek => false;
            public override bool CanWrite => false;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => _read; set => throw new NotSupportedException(); }

            public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

            public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
                Count(await inner.ReadAsync(buffer, cancellationToken));

            public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
                Count(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken));

            private int Count(int n)
            {
                var before = _read;
                _read += n;
                if (_read / probe.Every != before / probe.Every || n == 0) probe.Sample();
                return n;
            }

            public override void Flush() { }
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            protected override void Dispose(bool disposing)
            {
                if (disposing) inner.Dispose();
                base.Dispose(disposing);
            }
        }

        private long Every => every;
    }

    /// <summary>
    /// A gzip trail file of at least 50 MB of JSON that compresses poorly (random request parameters, as large
    /// policy documents and tags make real ones), with a watched user's calls at its start, middle and end.
    /// </summary>
    private static List<string> WriteLargeTrailFile(Stream output, DateTimeOffset delivered)
    {
        var random = new Random(20260701);
        var blob = new byte[1024];
        var watched = new List<string>();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write("{\"Records\":["u8);
            long written = 0;
            var i = 0;
            for (; written < Uncompressed; i++)
            {
                JsonObject record;
                if (i % 10_000 == 0)
                {
                    watched.Add($"watched-{i:D6}");
                    record = TrailJson.RoleSessionCall($"watched-{i:D6}", delivered.AddMinutes(-3), Member, "AdministratorAccess", User, region: Region);
                }
                else
                {
                    random.NextBytes(blob);
                    record = TrailJson.OtherRoleCall($"other-{i:D7}", delivered.AddMinutes(-4), Member, "ci-deployer", "build-17", "s3.amazonaws.com", "PutObject");
                    record["requestParameters"] = new JsonObject { ["bucketName"] = "artifacts", ["key"] = Convert.ToHexString(blob) };
                }

                var bytes = Encoding.UTF8.GetBytes((i == 0 ? "" : ",") + record.ToJsonString());
                gzip.Write(bytes);
                written += bytes.Length;
            }

            watched.Add("watched-last");
            gzip.Write(Encoding.UTF8.GetBytes("," + TrailJson.RoleSessionCall("watched-last", delivered.AddMinutes(-1), Member, "AdministratorAccess", User, region: Region).ToJsonString()));
            gzip.Write("]}"u8);
        }

        return watched;
    }
}
