namespace PimBridge.Testing.Adversarial;

/// <summary>
/// How hostile the modelled Identity Center is. Every probability is per API call; every choice is drawn from one
/// seeded <see cref="Random"/>, so a schedule replays exactly. Where AWS's documentation leaves a behaviour open, a
/// <c>bool</c> here picks one reading and the randomized runs draw both.
/// </summary>
public sealed record Adversity
{
    /// <summary>A kind world: no faults, operations finish at once. Used to seed the world and for replays of single effects.</summary>
    public static readonly Adversity None = new()
    {
        Throttling = 0, Conflicts = 0, InternalErrors = 0, LostResponses = 0, OperationFailures = 0, ProvisioningFailures = 0,
        MinOperationTime = TimeSpan.Zero, MaxOperationTime = TimeSpan.Zero, MembershipListLag = TimeSpan.Zero,
    };

    /// <summary>
    /// AWS on a good day: no faults at all, and every asynchronous operation (assignment creation and deletion,
    /// provisioning) stays IN_PROGRESS for exactly <paramref name="operationTime"/> (the benchmark's 1–3 s).
    /// </summary>
    public static Adversity Calm(TimeSpan operationTime) => None with { MinOperationTime = operationTime, MaxOperationTime = operationTime };

    /// <summary>ThrottlingException (HTTP 400) before any effect.</summary>
    public double Throttling { get; init; } = 0.04;

    /// <summary>ConflictException before any effect (sso-admin's "a conflicting request is in progress"; identitystore's CONCURRENT_MODIFICATION).</summary>
    public double Conflicts { get; init; } = 0.03;

    /// <summary>InternalServerException (HTTP 500) before any effect.</summary>
    public double InternalErrors { get; init; } = 0.02;

    /// <summary>The effect happens but the response is lost (HTTP 500 after the write): the client cannot know.</summary>
    public double LostResponses { get; init; } = 0.02;

    /// <summary>An asynchronous assignment operation ends FAILED instead of SUCCEEDED.</summary>
    public double OperationFailures { get; init; } = 0.05;

    /// <summary>One account of a permission-set provisioning fails (the others may succeed).</summary>
    public double ProvisioningFailures { get; init; } = 0.06;

    /// <summary>How long an asynchronous operation stays IN_PROGRESS: drawn uniformly between these.</summary>
    public TimeSpan MinOperationTime { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxOperationTime { get; init; } = TimeSpan.FromMinutes(8);

    /// <summary>
    /// Reading of the open question "CreateAccountAssignment on an assignment that already exists": true answers
    /// ConflictException, false starts an operation that succeeds at once.
    /// </summary>
    public bool CreateExistingConflicts { get; init; }

    /// <summary>
    /// Reading of when provisioning copies the policy: true copies the policy as it is when ProvisionPermissionSet is
    /// called, false as it is when each account's role is updated.
    /// </summary>
    public bool ProvisionSnapshotsAtRequest { get; init; } = true;

    /// <summary>Identity Store's eventual consistency: a new membership is not listed for up to this long.</summary>
    public TimeSpan MembershipListLag { get; init; } = TimeSpan.Zero;

    /// <summary>Draws a world: both readings of every open question, with moderate fault rates.</summary>
    public static Adversity Draw(Random random) => new()
    {
        CreateExistingConflicts = random.Next(2) == 0,
        ProvisionSnapshotsAtRequest = random.Next(2) == 0,
        MaxOperationTime = TimeSpan.FromSeconds(random.Next(2) == 0 ? 20 : 600),
        MembershipListLag = random.Next(3) == 0 ? TimeSpan.FromSeconds(30) : TimeSpan.Zero,
    };
}
