using System.Globalization;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using PimBridge.Aws;
using PimBridge.Aws.IdentityCenter;
using PimBridge.Aws.IdentityStore;
using PimBridge.Aws.SsoAdmin;
using PimBridge.Aws.Trails;
using PimBridge.Cli.Output;
using PimBridge.Core.Configuration;
using PimBridge.Core.Fences;
using PimBridge.Core.Ports;

namespace PimBridge.Cli.Doctor;

/// <summary>
/// The AWS side, read-only: credentials, the Identity Center instance, each mapping's permission set or group, an
/// Identity Store lookup, and the gap detector's CloudTrail source. Every call is one PimBridge makes when it runs, so a
/// pass proves that permission; what only a write could prove is listed as not checked.
/// </summary>
internal static class AwsChecks
{
    /// <summary>The writes PimBridge makes, which a read-only check cannot prove (see docs/cli.md), one line per purpose.</summary>
    public static readonly string WriteActions = string.Join(Environment.NewLine,
        "account assignments: sso:CreateAccountAssignment, sso:DeleteAccountAssignment, sso:DescribeAccountAssignmentCreationStatus, sso:DescribeAccountAssignmentDeletionStatus, sso:ListAccountAssignmentsForPrincipal",
        "group memberships: identitystore:CreateGroupMembership, identitystore:DeleteGroupMembership, identitystore:ListGroupMembershipsForMember",
        "session fences: sso:PutInlinePolicyToPermissionSet, sso:DeleteInlinePolicyFromPermissionSet, sso:ProvisionPermissionSet, sso:DescribePermissionSetProvisioningStatus, sso:ListAccountsForProvisionedPermissionSet");

    private static readonly CheckOutcome WritesNotChecked = CheckOutcome.NotChecked(
        "writing assignments, memberships and inline policies cannot be checked without writing.",
        $"Allow PimBridge's AWS principal these actions on the instance, its permission sets and the identity store:{Environment.NewLine}{WriteActions}");

    private const string ProbeUserName = "pimbridge-doctor-probe";

    public static async Task RunAsync(DoctorRun run, DoctorContext context, CancellationToken cancellationToken)
    {
        var credentialsFound = await run.CheckAsync("aws-credentials", "AWS credentials", ct => CredentialsAsync(context, ct), cancellationToken).ConfigureAwait(false);
        if (context.Settings is not { } settings || !credentialsFound || !context.AwsEndpointUsable)
        {
            var why = context.Settings is null ? "needs a valid configuration file." : !credentialsFound ? "needs AWS credentials." : "needs a usable AWS endpoint override.";
            run.Record("identity-center", "Identity Center instance", CheckOutcome.Skipped(why));
            run.Record("identity-store", "Identity Store user lookup", CheckOutcome.Skipped(why));
            run.Record("aws-writes", "AWS write permissions", WritesNotChecked);
            run.Record("gap-source", "CloudTrail source access", CheckOutcome.Skipped(why));
            return;
        }

        var ic = settings.IdentityCenter;
        using var ssoAdmin = new SsoAdminClient(Configure(new SsoAdminClientOptions(), context));
        using var identityStore = new IdentityStoreClient(Configure(new IdentityStoreClientOptions(), context));
        var directory = IdentityCenterAdapters.Create(ssoAdmin, identityStore, IdentityCenterAdapterOptions.From(ic)).Directory;

        var instanceReachable = await run.CheckAsync("identity-center", "Identity Center instance", Guarded(async ct =>
        {
            var count = 0;
            await foreach (var _ in ssoAdmin.ListPermissionSetsAsync(new ListPermissionSetsRequest { InstanceArn = ic.InstanceArn }, ct).ConfigureAwait(false))
                count++;
            if (count == 0 && settings.Mappings.Any(m => m.PermissionSet is not null))
                return CheckOutcome.Fail($"{ic.InstanceArn} in {ic.Region} lists no permission sets, yet mappings name one.",
                    "Check IdentityCenter.InstanceArn and IdentityCenter.Region: copy both from IAM Identity Center > Settings of the instance that holds the mapped permission sets.");
            return CheckOutcome.Pass($"{ic.InstanceArn} in {ic.Region}: {Formats.Count(count, "permission set")} listed (sso:ListPermissionSets allowed).");
        }, "sso:ListPermissionSets", $"on {ic.InstanceArn}",
            "Check IdentityCenter.InstanceArn and IdentityCenter.Region: copy both from IAM Identity Center > Settings.", context), cancellationToken).ConfigureAwait(false);

        foreach (var (rule, index) in settings.Mappings.Select((r, i) => (r, i)))
        {
            if (!instanceReachable)
            {
                run.Record($"mapping:{rule.Name}", $"Mapping '{rule.Name}'", CheckOutcome.Skipped("needs the Identity Center instance."));
                continue;
            }

            await run.CheckAsync($"mapping:{rule.Name}", $"Mapping '{rule.Name}'", Guarded(ct => rule.PermissionSet is not null
                    ? PermissionSetMappingAsync(rule, index, ssoAdmin, directory, ic, ct)
                    : GroupMappingAsync(rule, index, ssoAdmin, identityStore, directory, ic, ct),
                "sso:DescribePermissionSet, sso:GetInlinePolicyForPermissionSet, sso:ListAccountAssignments, sso:ListAccountAssignmentsForPrincipal, identitystore:GetGroupId and identitystore:ListGroupMemberships",
                $"for {ic.InstanceArn} and {ic.IdentityStoreId}", $"Check that Mappings[{index}]'s target exists in this Identity Center instance (IdentityCenter.InstanceArn).", context),
                cancellationToken).ConfigureAwait(false);
        }

        await run.CheckAsync("identity-store", "Identity Store user lookup", Guarded(async ct =>
        {
            var byMail = ic.MatchUsersBy.Equals("mail", StringComparison.OrdinalIgnoreCase);
            var probe = AlternateIdentifier.ByAttribute(byMail ? UniqueAttributePaths.Email : UniqueAttributePaths.UserName, byMail ? $"{ProbeUserName}@invalid.example" : ProbeUserName);
            try
            {
                await identityStore.GetUserIdAsync(new GetUserIdRequest { IdentityStoreId = ic.IdentityStoreId, AlternateIdentifier = probe }, ct).ConfigureAwait(false);
            }
            catch (AwsServiceException e) when (e.IsNotFound && e.ResourceType is not "IDENTITY_STORE")
            {
                // The probe name exists nowhere: "not found" is the answer of a lookup that was allowed.
            }

            return CheckOutcome.Pass($"{ic.IdentityStoreId}: a GetUserId lookup by {(byMail ? "emails.value" : "userName")} answered (identitystore:GetUserId allowed).");
        }, "identitystore:GetUserId and identitystore:DescribeUser", $"on {ic.IdentityStoreId}",
            "Check IdentityCenter.IdentityStoreId: copy it from IAM Identity Center > Settings (d-…).", context), cancellationToken).ConfigureAwait(false);

        run.Record("aws-writes", "AWS write permissions", WritesNotChecked);

        if (settings.GapSource is not { } source)
            run.Record("gap-source", "CloudTrail source access", CheckOutcome.Skipped("no Gaps.Source: the gap detector is off."));
        else if (TrailSources.Validate(source, ic.Region).Count > 0)
            run.Record("gap-source", "CloudTrail source access", CheckOutcome.Skipped("needs valid Gaps.Source settings."));
        else
            await run.CheckAsync("gap-source", "CloudTrail source access", ct => GapSourceAsync(source, settings, context, ct), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<CheckOutcome> CredentialsAsync(DoctorContext context, CancellationToken cancellationToken)
    {
        if (context.Environment.AwsCredentials is { } given)
        {
            context.AwsCredentials = given;
            return CheckOutcome.Pass($"given by the process that runs this command ({given.GetType().Name}).");
        }

        AWSCredentials resolved;
        try
        {
            resolved = await DefaultAWSCredentialsIdentityResolver.GetCredentialsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            var immutable = await resolved.GetCredentialsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            if (string.IsNullOrEmpty(immutable.AccessKey))
                throw new AmazonClientException("the credentials found have no access key.");
        }
        catch (AmazonClientException e)
        {
            return CheckOutcome.Fail($"the AWS SDK's default chain found none: {DoctorRun.FirstLine(e.Message)}",
                "Give PimBridge AWS credentials the SDK finds: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE with ~/.aws/credentials or SSO login, web identity (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE), or an instance or container role.");
        }

        context.AwsCredentials = resolved;
        return CheckOutcome.Pass($"found by the AWS SDK's default chain ({resolved.GetType().Name}).");
    }

    private static async Task<CheckOutcome> PermissionSetMappingAsync(
        MappingRule rule, int index, SsoAdminClient ssoAdmin, IIdentityCenterDirectory directory, IdentityCenterOptions ic, CancellationToken cancellationToken)
    {
        string arn;
        try
        {
            arn = await directory.ResolvePermissionSetArnAsync(rule.PermissionSet!, cancellationToken).ConfigureAwait(false);
        }
        catch (IdentityCenterNameNotFoundException e)
        {
            return CheckOutcome.Fail(e.Message,
                $"Check Mappings[{index}].AccountAssignments.PermissionSet against the permission sets of {ic.InstanceArn}, or give its ARN; and check IdentityCenter.InstanceArn.");
        }

        PermissionSet permissionSet;
        try
        {
            permissionSet = (await ssoAdmin.DescribePermissionSetAsync(new PermissionSetRequest { InstanceArn = ic.InstanceArn, PermissionSetArn = arn }, cancellationToken).ConfigureAwait(false)).PermissionSet
                ?? throw new InvalidOperationException($"DescribePermissionSet of {arn} answered without a permission set.");
        }
        catch (AwsServiceException e) when (e.IsNotFound || e.ErrorCode == "ValidationException")
        {
            return CheckOutcome.Fail($"permission set {arn} is not in {ic.InstanceArn}: {e.ServiceMessage}",
                $"Check Mappings[{index}].AccountAssignments.PermissionSet (the ARN of a permission set of this instance) and IdentityCenter.InstanceArn.");
        }

        var policy = (await ssoAdmin.GetInlinePolicyForPermissionSetAsync(new PermissionSetRequest { InstanceArn = ic.InstanceArn, PermissionSetArn = arn }, cancellationToken).ConfigureAwait(false)).InlinePolicy;
        // The drift sweep's read of each mapped target.
        var holders = 0;
        foreach (var account in rule.Accounts)
        {
            await foreach (var _ in ssoAdmin.ListAccountAssignmentsAsync(new ListAccountAssignmentsRequest { InstanceArn = ic.InstanceArn, AccountId = account, PermissionSetArn = arn, MaxResults = 100 }, cancellationToken).ConfigureAwait(false))
                holders++;
        }

        return CheckOutcome.Pass($"permission set {permissionSet.Name} ({arn}), sessions up to {permissionSet.SessionDuration ?? "PT1H"}, accounts {string.Join(", ", rule.Accounts)} " +
            $"({Formats.Count(holders, "assignment")} there now); inline policy {PolicySize(policy)} (sso:DescribePermissionSet, sso:GetInlinePolicyForPermissionSet and sso:ListAccountAssignments allowed).");
    }

    private static async Task<CheckOutcome> GroupMappingAsync(
        MappingRule rule, int index, SsoAdminClient ssoAdmin, IdentityStoreClient identityStore, IIdentityCenterDirectory directory, IdentityCenterOptions ic, CancellationToken cancellationToken)
    {
        string groupId;
        try
        {
            groupId = await directory.ResolveGroupIdAsync(rule.IdentityCenterGroup!, cancellationToken).ConfigureAwait(false);
        }
        catch (IdentityCenterNameNotFoundException e)
        {
            return CheckOutcome.Fail(e.Message, $"Check Mappings[{index}].IdentityCenterGroup against the groups of {ic.IdentityStoreId}, or give the group's id.");
        }

        // The drift sweep's read of the group's members.
        var members = 0;
        await foreach (var _ in identityStore.ListGroupMembershipsAsync(new ListGroupMembershipsRequest { IdentityStoreId = ic.IdentityStoreId, GroupId = groupId, MaxResults = 100 }, cancellationToken).ConfigureAwait(false))
            members++;
        var assignments = await directory.GetGroupAssignmentsAsync(groupId, cancellationToken).ConfigureAwait(false);
        var names = new List<string>();
        foreach (var arn in assignments.Select(a => a.PermissionSetArn).Distinct(StringComparer.Ordinal))
        {
            var described = await ssoAdmin.DescribePermissionSetAsync(new PermissionSetRequest { InstanceArn = ic.InstanceArn, PermissionSetArn = arn }, cancellationToken).ConfigureAwait(false);
            await ssoAdmin.GetInlinePolicyForPermissionSetAsync(new PermissionSetRequest { InstanceArn = ic.InstanceArn, PermissionSetArn = arn }, cancellationToken).ConfigureAwait(false);
            names.Add(described.PermissionSet?.Name ?? arn);
        }

        if (assignments.Count == 0)
            return CheckOutcome.Pass($"Identity Center group {groupId} ({Formats.Count(members, "member")}) has no account assignments yet, so membership gives no AWS access (identitystore:ListGroupMemberships and sso:ListAccountAssignmentsForPrincipal allowed).");
        return CheckOutcome.Pass($"Identity Center group {groupId} ({Formats.Count(members, "member")}): {Formats.Count(names.Count, "permission set")} ({string.Join(", ", names)}) in " +
            $"{Formats.Count(assignments.Select(a => a.AccountId).Distinct().Count(), "account")} (identitystore:ListGroupMemberships, sso:ListAccountAssignmentsForPrincipal, sso:DescribePermissionSet and sso:GetInlinePolicyForPermissionSet allowed).");
    }

    private static async Task<CheckOutcome> GapSourceAsync(GapSourceOptions source, PimBridgeSettings settings, DoctorContext context, CancellationToken cancellationToken)
    {
        var region = settings.IdentityCenter.Region;
        switch (source.Type.Trim().ToLowerInvariant())
        {
            case TrailSources.S3:
            {
                // The engine's first listing, in the engine's folder: a policy scoped to the trail's log folders (as the
                // Pulumi program writes it) allows exactly that, and refuses a listing of the bucket root.
                var bucket = source.Bucket!.Trim();
                var account = source.IdentityCenterAccountId?.Trim() is { Length: > 0 } icAccount ? icAccount : settings.Mappings.SelectMany(m => m.Accounts).FirstOrDefault();
                if (string.IsNullOrEmpty(account))
                    return CheckOutcome.Skipped("no account to try: no mapping names accounts and Gaps.Source.IdentityCenterAccountId is empty.");
                using var trail = (S3TrailSource)TrailSources.Create(source, new TrailSourceContext
                {
                    IdentityCenterRegion = region, Credentials = context.AwsCredentials, ServiceEndpoint = context.AwsEndpoint,
                });
                var folder = $"s3://{bucket}/{trail.AccountFolder(account)}";
                try
                {
                    var regions = await trail.DiscoverRegionsAsync(account, cancellationToken).ConfigureAwait(false);
                    return CheckOutcome.Pass(regions.Count == 0
                        ? $"{folder} can be listed (s3:ListBucket allowed); it holds no log files yet."
                        : $"{folder} can be listed (s3:ListBucket allowed); log files for {string.Join(", ", regions)}.");
                }
                catch (TrailBucketAccessException e)
                {
                    return CheckOutcome.Fail(e.Message,
                        $"Allow s3:ListBucket on arn:aws:s3:::{bucket} (s3:prefix under the trail's AWSLogs/ folders) and s3:GetObject on its log files for PimBridge's AWS principal, in its IAM policy and in the bucket policy (and kms:Decrypt on the trail's key when it is SSE-KMS); the Pulumi stack outputs trailBucketPolicyStatements.");
                }
                catch (AmazonS3Exception e)
                {
                    return CheckOutcome.Fail($"listing {folder} failed: {e.ErrorCode}: {e.Message}", e.ErrorCode == "NoSuchBucket"
                        ? "Check Gaps.Source.Bucket: the bucket the organization trail delivers to, by its bare name."
                        : "Check Gaps.Source (Bucket, Prefix, OrganizationId) against the trail's S3 delivery settings.");
                }
            }

            case TrailSources.LookupEvents:
            {
                var account = settings.Mappings.SelectMany(m => m.Accounts).FirstOrDefault() ?? source.IdentityCenterAccountId?.Trim();
                if (string.IsNullOrEmpty(account))
                    return CheckOutcome.Skipped("no account to try: no mapping names accounts and Gaps.Source.IdentityCenterAccountId is empty.");
                using var lookup = (LookupEventsTrailSource)TrailSources.Create(source, new TrailSourceContext
                {
                    IdentityCenterRegion = region, Credentials = context.AwsCredentials, ServiceEndpoint = context.AwsEndpoint,
                });
                var role = lookup.RoleArnFor(account);
                var config = context.AwsEndpoint is { } endpoint
                    ? new AmazonSecurityTokenServiceConfig { ServiceURL = endpoint.ToString(), AuthenticationRegion = region }
                    : new AmazonSecurityTokenServiceConfig { RegionEndpoint = RegionEndpoint.GetBySystemName(region) };
                using var sts = new AmazonSecurityTokenServiceClient(context.AwsCredentials, config);
                try
                {
                    await sts.AssumeRoleAsync(new AssumeRoleRequest
                    {
                        RoleArn = role, RoleSessionName = "pimbridge-doctor", DurationSeconds = 900,
                        ExternalId = string.IsNullOrEmpty(source.ExternalId) ? null : source.ExternalId,
                    }, cancellationToken).ConfigureAwait(false);
                    return CheckOutcome.Pass($"assumed the audit role {role} in account {account} (sts:AssumeRole allowed, and the role trusts PimBridge).");
                }
                catch (AmazonSecurityTokenServiceException e)
                {
                    return CheckOutcome.Fail($"AssumeRole of {role} failed: {e.ErrorCode}: {e.Message}",
                        $"Allow sts:AssumeRole on {role} for PimBridge's AWS principal; create the role in account {account} with cloudtrail:LookupEvents, trusting that principal{(string.IsNullOrEmpty(source.ExternalId) ? "" : " with the configured ExternalId")}; or fix Gaps.Source.AuditRoleName.");
                }
            }

            default:
                return CheckOutcome.Pass($"folder {Path.GetFullPath(source.Path!)} exists.");
        }
    }

    private static T Configure<T>(T options, DoctorContext context) where T : AwsClientOptions
    {
        options.Region = context.Region;
        options.Endpoint = context.AwsEndpoint;
        options.Credentials = context.AwsCredentials;
        // One retry: a diagnosis should report a failure within its time limit, not spend it backing off.
        options.Retry.MaxAttempts = 2;
        options.AttemptTimeout = TimeSpan.FromSeconds(10);
        return options;
    }

    private static string PolicySize(string? policy) => policy is null
        ? "none yet (fences will add one)"
        : $"{policy.Count(c => !char.IsWhiteSpace(c)).ToString("N0", CultureInfo.InvariantCulture)} of {FencePolicy.MaxNonWhitespace.ToString("N0", CultureInfo.InvariantCulture)} non-whitespace characters";

    /// <summary>Turns an AWS error into a failing line whose fix fits the error: a missing permission, a wrong id, no network.</summary>
    private static Func<CancellationToken, Task<CheckOutcome>> Guarded(Func<CancellationToken, Task<CheckOutcome>> check, string actions, string resource, string wrongId, DoctorContext context) =>
        async ct =>
        {
            try
            {
                return await check(ct).ConfigureAwait(false);
            }
            catch (AwsServiceException e)
            {
                var fix = e.IsAccessDenied
                    ? $"Allow {actions} {resource} for PimBridge's AWS principal (its IAM policy, and any permission boundary or SCP)."
                    : e.ErrorCode == AwsServiceException.CredentialsUnavailable
                        ? "Give PimBridge AWS credentials (see the AWS credentials line)."
                        : e.Status == 0
                            ? $"Check network access to {(context.AwsEndpoint?.ToString() ?? $"AWS in {context.Region}")} (proxy, firewall, DNS), and IdentityCenter.Region."
                            : e.IsNotFound || e.ErrorCode is "ValidationException" or "UnrecognizedClientException" or "InvalidSignatureException"
                                ? wrongId
                                : "AWS answered with an error; if it is throttling or an outage, run doctor again later.";
                return CheckOutcome.Fail(DoctorRun.FirstLine(e.Message), fix);
            }
        };
}
