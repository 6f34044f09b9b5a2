using PimBridge.Aws.CloudTrail;
using PimBridge.Aws.SsoAdmin;

namespace PimBridge.Aws.Tests.Wire;

public sealed class PagingTests
{
    private const string Instance = "arn:aws:sso:::instance/ssoins-0123456789abcdef";

    [Fact]
    public async Task Pages_are_followed_until_the_token_is_absent_null_or_empty()
    {
        var handler = new RecordingHandler()
            .Respond("""{"PermissionSets":["ps-1","ps-2"],"NextToken":"t1"}""")
            .Respond("""{"PermissionSets":[],"NextToken":"t2"}""")
            .Respond("""{"PermissionSets":["ps-3"],"NextToken":""}""");
        using var client = WireClients.SsoAdmin(handler);

        var arns = await client.ListPermissionSetsAsync(new ListPermissionSetsRequest { InstanceArn = Instance, MaxResults = 2 }).ToListAsync();

        Assert.Equal(["ps-1", "ps-2", "ps-3"], arns);
        Assert.Equal(
            [$$"""{"InstanceArn":"{{Instance}}","MaxResults":2}""",
             $$"""{"InstanceArn":"{{Instance}}","NextToken":"t1","MaxResults":2}""",
             $$"""{"InstanceArn":"{{Instance}}","NextToken":"t2","MaxResults":2}"""],
            handler.Requests.Select(r => r.Body));
    }

    [Fact]
    public async Task An_explicit_null_token_ends_paging()
    {
        var handler = new RecordingHandler().Respond("""{"AccountIds":["111122223333"],"NextToken":null}""");
        using var client = WireClients.SsoAdmin(handler);

        var accounts = await client.ListAccountsForProvisionedPermissionSetAsync(new() { InstanceArn = Instance, PermissionSetArn = "ps" }).ToListAsync();

        Assert.Equal(["111122223333"], accounts);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task LookupEvents_repeats_the_original_parameters_with_each_token()
    {
        var handler = new RecordingHandler()
            .Respond("""{"Events":[{"EventId":"e2"}],"NextToken":"n1"}""")
            .Respond("""{"Events":[{"EventId":"e1"}]}""");
        using var client = WireClients.CloudTrail(handler);
        var request = new LookupEventsRequest
        {
            LookupAttributes = [new() { AttributeKey = LookupAttributeKeys.EventSource, AttributeValue = "s3.amazonaws.com" }],
            StartTime = DateTimeOffset.FromUnixTimeSeconds(100), EndTime = DateTimeOffset.FromUnixTimeSeconds(200), MaxResults = 1,
        };

        var ids = (await client.LookupEventsAsync(request).ToListAsync()).Select(e => e.EventId);

        Assert.Equal(["e2", "e1"], ids);
        const string common = """{"LookupAttributes":[{"AttributeKey":"EventSource","AttributeValue":"s3.amazonaws.com"}],"StartTime":100,"EndTime":200,"MaxResults":1""";
        Assert.Equal([common + "}", common + ""","NextToken":"n1"}"""], handler.Requests.Select(r => r.Body));
    }

    [Fact]
    public async Task A_service_repeating_its_token_stops_with_an_error_instead_of_looping()
    {
        var handler = new RecordingHandler()
            .Respond("""{"PermissionSets":["ps-1"],"NextToken":"same"}""")
            .Respond("""{"PermissionSets":["ps-1"],"NextToken":"same"}""");
        using var client = WireClients.SsoAdmin(handler);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            client.ListPermissionSetsAsync(new ListPermissionSetsRequest { InstanceArn = Instance }).ToListAsync());

        Assert.Contains("same NextToken", error.Message);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task Stopping_early_fetches_no_further_pages()
    {
        var handler = new RecordingHandler().Respond("""{"PermissionSets":["ps-1","ps-2"],"NextToken":"t1"}""");
        using var client = WireClients.SsoAdmin(handler);

        await foreach (var _ in client.ListPermissionSetsAsync(new ListPermissionSetsRequest { InstanceArn = Instance }))
            break;

        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task Cancellation_stops_paging()
    {
        var handler = new RecordingHandler().Respond("""{"PermissionSets":["ps-1"],"NextToken":"t1"}""");
        using var client = WireClients.SsoAdmin(handler);
        using var cancel = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in client.ListPermissionSetsAsync(new ListPermissionSetsRequest { InstanceArn = Instance }, cancel.Token))
                cancel.Cancel();
        });
        Assert.Single(handler.Requests);
    }
}
