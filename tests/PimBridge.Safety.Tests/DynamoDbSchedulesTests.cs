using PimBridge.Store.DynamoDb;
using PimBridge.Testing;
using PimBridge.Testing.Adversarial;
using Xunit.Abstractions;

namespace PimBridge.Safety.Tests;

/// <summary>
/// The seeded schedules with the distributed store: two engine processes, each with its own DynamoDB client to one
/// table on moto_server (transactions, condition checks and leases as AWS runs them; see <see cref="DynamoDbMotoFixture"/>),
/// and the oracle reading through a third. A smaller set than on SQLite: every store call is an HTTP round trip to moto
/// (about 20 s a schedule here); <c>PIMBRIDGE_SAFETY_DYNAMODB_SCHEDULES</c> runs more (docs/verification.md records 40).
/// </summary>
public sealed class DynamoDbSchedulesTests(DynamoDbMotoFixture moto, ITestOutputHelper output) : IClassFixture<DynamoDbMotoFixture>
{
    public const int DefaultSchedules = 6;

    [Fact]
    public async Task Two_engines_with_their_own_clients_to_one_DynamoDB_table_keep_the_invariants()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("PIMBRIDGE_SAFETY_DYNAMODB_SCHEDULES"), out var n) && n > 0 ? n : DefaultSchedules;
        var failures = new List<ScheduleResult>();
        for (var seed = 1; seed <= count; seed++)
        {
            var table = await moto.CreateTableAsync();
            var result = await Schedules.RunAsync(seed, openStore: () => Task.FromResult<Core.Ports.IStateStore>(new DynamoDbStateStore(moto.CreateClient(), table)));
            if (!result.Passed) failures.Add(result);
        }

        output.WriteLine($"{count} schedules on one DynamoDB table per schedule, {failures.Count} failed");
        Assert.True(failures.Count == 0, $"{failures.Count} of {count} schedules broke an invariant; first: seed {failures.FirstOrDefault()?.Seed}: {failures.FirstOrDefault()?.Violations[0]}");
    }
}
