using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.ExceptionServices;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using PimBridge.Core.Configuration;
using PimBridge.Core.Domain;
using PimBridge.Core.Engine;
using PimBridge.Core.Notifications;
using PimBridge.Core.Ports;
using PimBridge.Store.DynamoDb;
using PimBridge.Testing;

namespace PimBridge.Store.Tests;

/// <summary>
/// Every mapping configuration validation accepts must produce grant commits DynamoDB can take (one
/// TransactWriteItems, at most 100 items): the real engine, over the DynamoDB store on moto, starts and ends a grant
/// of the widest mapping validation lets through, with the worst case it budgets for (open fences to pull back, and
/// notification sinks carrying expires-soon).
/// </summary>
[Collection(DynamoDbMotoCollection.Name)]
public sealed class DynamoDbGrantCommitTests(DynamoDbMotoFixture moto)
{
    private const string PermissionSet = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-admin00000000000";
    private const string EntraGroup = "11111111-1111-1111-1111-111111111111";
    private const string Principal = "alice-entra";
    private const string OutsideAccount = "999999999999";
    private const string UserId = "u-alice";

    /// <summary>Probing stops here: far above any mapping a single DynamoDB transaction could carry.</summary>
    private const int ProbeCeiling = 200;

    private static readonly DateTimeOffset Start = new(2026, 7, 1, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0)] // 40 accounts: 3 + 2·40 + 0 + (2·8 + 1) = 100 items, the budget exactly
    [InlineData(3)] // 38 accounts: 3 + 2·38 + 3 + (2·8 + 1) = 99 items
    public async Task The_widest_mapping_validation_accepts_starts_and_ends_a_grant_on_DynamoDB_with_the_fence_pull_backs_and_sinks_it_budgets_for(int sinks)
    {
        var accounts = WidestAccepted(sinks);
        Assert.Equal(CommitBudget.MaxAccountsPerMapping(sinks), accounts);
        var budgeted = CommitBudget.GrantStartItems(accounts, sinks, CommitBudget.ReservedFencePullBacks);
        Assert.InRange(budgeted, CommitBudget.MaxItems - 1, CommitBudget.MaxItems);

        var bridge = await Bridge.StartAsync(moto, accounts, sinks);
        // Sessions of earlier grants on the same permission set are fenced with cutoffs after this grant's start, each
        // also in an account the grant does not reach: the re-grant splits every one of them, in the same commit.
        var fences = Enumerable.Range(0, CommitBudget.ReservedFencePullBacks).Select(i => new SessionFence
        {
            Id = $"f-open-{i:D2}", UserId = UserId, UserName = "alice@example.com", PermissionSetArn = PermissionSet,
            Accounts = [Account(i), OutsideAccount], Cutoff = Start.AddMinutes(10 + i), Until = Start.AddHours(6), State = FenceState.Active,
            CreatedAt = Start.AddMinutes(-30), ActiveSince = Start.AddMinutes(-29),
        }).ToList();
        var seed = new StateChange();
        seed.Fences.AddRange(fences);
        await bridge.Store.CommitAsync(seed);

        var grant = await bridge.StartAndEndOneGrantAsync(accounts, expectedNotifications: sinks);

        var open = await bridge.Store.ListFencesAsync(openOnly: true);
        foreach (var fence in fences)
        {
            Assert.Equal([OutsideAccount], (await bridge.Store.GetFenceAsync(fence.Id))!.Accounts); // keeps its cutoff there
            Assert.Contains(open, f => f.Accounts.SequenceEqual([Account(fences.IndexOf(fence))]) && f.Cutoff == grant.Start);
        }
        // What was sent, not what was counted: the grant's start was the largest transaction, exactly as budgeted.
        Assert.Equal(budgeted, bridge.Transactions.Largest);
    }

    [Fact]
    public void The_budget_is_the_DynamoDB_store_limit_and_one_account_more_is_refused_with_the_fix()
    {
        Assert.Equal(DynamoDbSchema.MaxTransactionItems, CommitBudget.MaxItems);
        var widest = WidestAccepted(expiresSoonSinks: 0);

        var problem = Assert.Single(Assert.Throws<ConfigurationException>(() => PimBridgeConfiguration.Validate(Options(widest + 1, 0))).Problems);

        Assert.Contains($"mapping 'wide' lists {widest + 1} accounts", problem, StringComparison.Ordinal);
        Assert.Contains($"at most {CommitBudget.MaxItems} items", problem, StringComparison.Ordinal);
        Assert.Contains($"split the mapping into several mappings of at most {widest} accounts each", problem, StringComparison.Ordinal);
    }

    /// <summary>The most accounts validation accepts in one mapping, with so many sinks carrying expires-soon.</summary>
    private static int WidestAccepted(int expiresSoonSinks)
    {
        var widest = 0;
        for (var accounts = 1; accounts <= ProbeCeiling; accounts++)
        {
            try
            {
                PimBridgeConfiguration.Validate(Options(accounts, expiresSoonSinks));
                widest = accounts;
            }
            catch (ConfigurationException)
            {
                break;
            }
        }

        Assert.True(widest > 0, "validation refuses even a mapping of one account");
        return widest;
    }

    private static string Account(int i) => (100_000_000_000L + i).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static PimBridgeOptions Options(int accounts, int expiresSoonSinks) => new()
    {
        IdentityCenter = new() { InstanceArn = "arn:aws:sso:::instance/ssoins-0123456789abcdef", IdentityStoreId = "d-1234567890", Region = "eu-west-1" },
        Mappings =
        [
            new() { Name = "wide", EntraGroupId = EntraGroup, AccountAssignments = new() { PermissionSet = PermissionSet, Accounts = [.. Enumerable.Range(0, accounts).Select(Account)] } },
        ],
        Notifications = new() { Sinks = [.. Enumerable.Range(0, expiresSoonSinks).Select(i => new NotificationSinkOptions { Name = $"sink-{i}", Type = "log", Kinds = ["expires-soon"] })] },
    };

    /// <summary>The real enforcer over the DynamoDB store on moto, a simulated Identity Center, and recording sinks.</summary>
    private sealed class Bridge
    {
        private readonly List<RecordingSink> _sinks;

        private Bridge(DynamoDbStateStore store, SimulatedIdentityCenter aws, ManualTimeProvider clock, Enforcer enforcer, List<RecordingSink> sinks, TransactionSizes transactions)
        {
            Store = store;
            Aws = aws;
            Clock = clock;
            Enforcer = enforcer;
            _sinks = sinks;
            Transactions = transactions;
        }

        public DynamoDbStateStore Store { get; }
        public SimulatedIdentityCenter Aws { get; }
        public ManualTimeProvider Clock { get; }
        public Enforcer Enforcer { get; }
        public TransactionSizes Transactions { get; }

        public static async Task<Bridge> StartAsync(DynamoDbMotoFixture moto, int accounts, int expiresSoonSinks)
        {
            var settings = PimBridgeConfiguration.Validate(Options(accounts, expiresSoonSinks));
            var aws = new SimulatedIdentityCenter();
            aws.PermissionSetsByName["Admin"] = PermissionSet;
            aws.Users[Principal] = new IdentityCenterUser(UserId, "alice@example.com");
            var mappings = await ResolvedMapping.ResolveAsync(settings.Mappings, aws);
            var transactions = TransactionSizes.Over(moto.Client);
            var store = new DynamoDbStateStore(transactions.Client, await moto.CreateTableAsync());
            var clock = new ManualTimeProvider(Start);
            var sinks = settings.Notifications.Sinks.Select(s => new RecordingSink(s.Name)).ToList();
            var outbox = new NotificationOutbox(sinks, [.. sinks.Select(s => new NotificationRoute(s.Name, new HashSet<NotificationKind> { NotificationKind.ExpiresSoon }, AlertSeverity.Info))], settings.ExpiryWarning);
            var enforcer = new Enforcer(new EnforcerSetup
            {
                Store = store, Aws = new IdentityCenterPorts(aws, aws, aws, aws), Mappings = mappings, Fences = settings.Fences, Settings = settings.Enforcer, Time = clock,
                Notifications = outbox,
            });
            return new Bridge(store, aws, clock, enforcer, sinks, transactions);
        }

        /// <summary>PIM activates the user for two hours; the grant starts, its access goes live, it expires, its access goes.</summary>
        public async Task<Grant> StartAndEndOneGrantAsync(int accounts, int expectedNotifications = 0)
        {
            var activation = new Activation("act-1", new EntraPrincipal(Principal, "alice@example.com"), EntraGroup, PimAccess.Member, Start, Start.AddHours(2));

            var reconciled = await Enforcer.ReconcileAsync(new PimSnapshot([EntraGroup], [activation]));

            var started = Assert.Single(reconciled.Plan.NewGrants);
            var grant = await Store.GetGrantAsync(started.Id);
            Assert.NotNull(grant);
            Assert.Equal(accounts, grant.EntitlementKeys.Count);
            var pending = await Store.GetDueIntentsAsync(Start.AddHours(2), 1_000);
            Assert.Equal(accounts, pending.Count(i => i.Kind == IntentKind.ApplyEntitlement));
            Assert.Equal(expectedNotifications, pending.Count(i => i.Kind == IntentKind.Notify));

            await SettleAsync();
            Assert.Equal(accounts, Aws.ActiveKeys.Count);
            Assert.NotNull((await Store.GetGrantAsync(started.Id))!.AccessConfirmedAt);

            // Past the expiry warning (10 minutes before the end): the warnings go out.
            Clock.Advance(TimeSpan.FromMinutes(115));
            await SettleAsync();
            Assert.Equal(expectedNotifications, _sinks.Sum(s => s.Sent));

            Clock.Advance(TimeSpan.FromMinutes(5));
            await SettleAsync();
            var ended = await Store.GetGrantAsync(started.Id);
            Assert.Equal(GrantState.Ended, ended!.State);
            Assert.Empty(Aws.ActiveKeys);
            Assert.All(grant.EntitlementKeys, key => Assert.Contains($"revoke {key}", Aws.Writes));
            Assert.Null(await AuditChain.VerifyAsync(Store.ReadAuditAsync()));
            return grant;
        }

        /// <summary>Ticks until a tick finds nothing to do now, as the service loop would.</summary>
        private async Task SettleAsync()
        {
            for (var i = 0; i < 20; i++)
            {
                var tick = await Enforcer.TickAsync();
                await Enforcer.DeliveriesSettledAsync(); // notifications go out beside the tick, not in it
                Assert.Equal(0, tick.IntentsFailed);
                if (tick.DidNothing) return;
            }

            Assert.Fail("the engine did not settle within 20 ticks");
        }
    }

    /// <summary>The size of every TransactWriteItems the store sends, through a proxy over the fixture's client.</summary>
    public class TransactionSizes : DispatchProxy
    {
        private readonly ConcurrentQueue<int> _sizes = new();
        private IAmazonDynamoDB _inner = null!;

        public IAmazonDynamoDB Client { get; private set; } = null!;

        public int Largest => _sizes.IsEmpty ? 0 : _sizes.Max();

        public static TransactionSizes Over(IAmazonDynamoDB inner)
        {
            var client = DispatchProxy.Create<IAmazonDynamoDB, TransactionSizes>();
            var sizes = (TransactionSizes)(object)client;
            sizes._inner = inner;
            sizes.Client = client;
            return sizes;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (args is [TransactWriteItemsRequest request, ..])
                _sizes.Enqueue(request.TransactItems.Count);
            try
            {
                return targetMethod!.Invoke(_inner, args);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                ExceptionDispatchInfo.Throw(ex.InnerException);
                throw;
            }
        }
    }

    private sealed class RecordingSink(string name) : INotificationSink
    {
        private int _sent;

        public string Name { get; } = name;

        public int Sent => Volatile.Read(ref _sent);

        public Task SendAsync(Notification notification, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _sent);
            return Task.CompletedTask;
        }
    }
}
