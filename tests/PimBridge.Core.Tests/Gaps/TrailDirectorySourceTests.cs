using System.Text;
using PimBridge.Core.Gaps;

namespace PimBridge.Core.Tests.Gaps;

public sealed class TrailDirectorySourceTests : IDisposable
{
    private const string Member = "950363612855";
    private const string Other = "111122223333";
    private static readonly DateTimeOffset T0 = new(2026, 7, 1, 0, 10, 0, TimeSpan.Zero);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "pimbridge-trails-" + Guid.NewGuid().ToString("N"));

    public TrailDirectorySourceTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static readonly TrailRecordFilter Watching = new(["AdministratorAccess"], ["aidan.steele@glassechidna.com.au"], ["976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa"]);

    private static ActivityQuery Query(TrailRecordFilter? filter = null) =>
        new([Member], T0.AddHours(-1), T0.AddHours(1), filter ?? Watching, NoTrailCursors.Instance);

    private void Write(string relative, byte[] content)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
    }

    private static string File1(params System.Text.Json.Nodes.JsonNode[] records) => TrailJson.File(records);

    [Fact]
    public async Task Reads_nested_gzip_and_plain_files_in_path_order_and_keeps_what_the_filter_accepts()
    {
        const string user = "aidan.steele@glassechidna.com.au";
        var watched = TrailJson.RoleSessionCall("e-1", T0, Member, "AdministratorAccess", user);
        var otherPermissionSet = TrailJson.RoleSessionCall("e-2", T0, Member, "ReadOnly", user);
        var otherRole = TrailJson.OtherRoleCall("e-3", T0, Member, "ci-deployer", "build-17");
        var grc = TrailJson.GetRoleCredentials("e-4", T0, "976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa", Member, "AdministratorAccess");
        var later = TrailJson.RoleSessionCall("e-5", T0.AddMinutes(5), Member, "AdministratorAccess", user, eventName: "PutObject");

        Write($"AWSLogs/{Member}/CloudTrail/ap-southeast-2/2026/07/01/b.json.gz", TrailJson.Gzip(File1(watched, otherPermissionSet)));
        Write($"AWSLogs/{Member}/CloudTrail/ap-southeast-2/2026/07/01/a.json", Encoding.UTF8.GetBytes(File1(otherRole, grc)));
        Write($"AWSLogs/{Other}/CloudTrail/us-east-1/2026/07/01/c.JSON.GZ", TrailJson.Gzip(File1(later)));
        Write($"AWSLogs/{Member}/CloudTrail-Digest/ap-southeast-2/2026/07/01/digest.json.gz", TrailJson.Gzip("""{"awsAccountId":"950363612855","digestStartTime":"2026-07-01T00:00:00Z"}"""));
        Write("notes.txt", Encoding.UTF8.GetBytes("not a trail file"));
        Write("empty-folder-sibling/readme.md", Encoding.UTF8.GetBytes("#"));

        var source = new TrailDirectorySource(_root);
        var batches = await ToListAsync(source.ReadAsync(Query()));

        Assert.Equal(
            [$"AWSLogs/{Other}/CloudTrail/us-east-1/2026/07/01/c.JSON.GZ", $"AWSLogs/{Member}/CloudTrail/ap-southeast-2/2026/07/01/a.json", $"AWSLogs/{Member}/CloudTrail/ap-southeast-2/2026/07/01/b.json.gz"],
            batches.Select(b => Path.GetRelativePath(_root, b.Origin).Replace('\\', '/')));
        Assert.All(batches, b => Assert.Null(b.Cursor));
        Assert.Equal(["e-5"], batches[0].Records.Select(r => r.EventId));
        Assert.Equal(["e-4"], batches[1].Records.Select(r => r.EventId));
        Assert.Equal(["e-1"], batches[2].Records.Select(r => r.EventId));
        Assert.Equal(2, batches[1].Stats.Records);
        Assert.All(batches, b => Assert.Equal(1, b.Stats.Files));
        Assert.All(batches, b => Assert.Equal(0, b.Stats.DamagedFiles));
    }

    [Fact]
    public async Task A_damaged_file_is_counted_and_the_scan_continues()
    {
        var first = TrailJson.RoleSessionCall("e-1", T0, Member, "AdministratorAccess", "aidan.steele@glassechidna.com.au");
        var second = TrailJson.RoleSessionCall("e-2", T0.AddMinutes(1), Member, "AdministratorAccess", "aidan.steele@glassechidna.com.au");
        var whole = TrailJson.Gzip(File1(first, second));
        Write("1-truncated.json.gz", whole[..(whole.Length * 2 / 3)]);
        Write("2-not-json.json", Encoding.UTF8.GetBytes("<html>403 Forbidden</html>"));
        Write("3-good.json.gz", TrailJson.Gzip(File1(second)));

        var batches = await ToListAsync(new TrailDirectorySource(_root).ReadAsync(Query(TrailRecordFilter.Everything)));

        Assert.Equal(3, batches.Count);
        Assert.Equal(1, batches[0].Stats.DamagedFiles);
        Assert.Contains("1-truncated.json.gz", Assert.Single(batches[0].Stats.Problems));
        Assert.Equal(1, batches[1].Stats.DamagedFiles);
        Assert.Empty(batches[1].Records);
        Assert.Equal(0, batches[2].Stats.DamagedFiles);
        Assert.Equal(["e-2"], batches[2].Records.Select(r => r.EventId));
    }

    [Fact]
    public async Task A_missing_folder_fails_with_its_path()
    {
        var source = new TrailDirectorySource(Path.Combine(_root, "absent"));

        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => ToListAsync(source.ReadAsync(Query())));

        Assert.Contains("absent", error.Message);
        Assert.Contains(Path.Combine(_root, "absent"), source.Describe);
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source) list.Add(item);
        return list;
    }
}
