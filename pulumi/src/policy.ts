import * as pulumi from "@pulumi/pulumi";
import { PimBridgeSettings, S3TrailGapSource } from "./settings";

/**
 * The one permissions policy PimBridge's engine runs with, on AWS (the watcher Lambda) and from Azure (the bridge role).
 * Every action is one PimBridge calls (src/PimBridge.Aws clients, src/PimBridge.Store.DynamoDb); nothing else.
 */

/** sso-admin operations (src/PimBridge.Aws/SsoAdmin/SsoAdminClient.cs), scoped to the instance, its permission sets and the accounts. */
const ssoScopedActions = [
    "sso:CreateAccountAssignment",
    "sso:DeleteAccountAssignment",
    "sso:DescribeAccountAssignmentCreationStatus",
    "sso:DescribeAccountAssignmentDeletionStatus",
    "sso:ListAccountAssignments",
    "sso:ListAccountAssignmentsForPrincipal",
    "sso:ListPermissionSets",
    "sso:DescribePermissionSet",
    "sso:PutInlinePolicyToPermissionSet",
    "sso:GetInlinePolicyForPermissionSet",
    "sso:DeleteInlinePolicyFromPermissionSet",
    "sso:ProvisionPermissionSet",
    "sso:DescribePermissionSetProvisioningStatus",
    "sso:ListAccountsForProvisionedPermissionSet",
];
/** ListInstances has no resource type in IAM: it can only be granted on "*". */
export const ssoUnscopedActions = ["sso:ListInstances"];
/** identitystore operations (src/PimBridge.Aws/IdentityStore/IdentityStoreClient.cs). */
const identityStoreActions = [
    "identitystore:GetUserId",
    "identitystore:DescribeUser",
    "identitystore:IsMemberInGroups",
    "identitystore:GetGroupId",
    "identitystore:GetGroupMembershipId",
    "identitystore:ListGroupMembershipsForMember",
    "identitystore:ListGroupMemberships",
    "identitystore:CreateGroupMembership",
    "identitystore:DeleteGroupMembership",
];
/** CloudTrail LookupEvents supports no resource-level permissions: "*" is the only resource AWS accepts. */
export const cloudTrailActions = ["cloudtrail:LookupEvents"];
const assumeAuditRoleActions = ["sts:AssumeRole"];
/** S3TrailSource (src/PimBridge.Aws/Trails): ListObjectsV2 is authorised as s3:ListBucket, on the bucket. */
const trailListActions = ["s3:ListBucket"];
/** S3TrailSource's GetObject, on the log files. */
const trailReadActions = ["s3:GetObject"];
/** Not an SDK call: S3 asks KMS to decrypt an SSE-KMS object with the caller's permissions, so GetObject needs this on the trail's key. */
const trailKeyActions = ["kms:Decrypt"];
/**
 * DynamoDbStateStore: GetItem, BatchGetItem, Query (table and GSIs), PutItem and DeleteItem (the lease, alerts).
 * TransactWriteItems has no IAM action of its own: its Puts are authorised as PutItem.
 * DescribeTable/CreateTable are only used by `CreateTableAsync`, which the deployment replaces.
 */
const dynamoDbActions = [
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
];
/** The watcher's own log stream (only in the Lambda's policy). */
const logActions = ["logs:CreateLogStream", "logs:PutLogEvents"];

interface PolicyStatement {
    Sid: string;
    Effect: "Allow";
    Action: string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}

/** A statement of a resource's own policy (a bucket or key policy), naming who it allows. */
interface ResourcePolicyStatement extends PolicyStatement {
    Principal: { AWS: string };
}

/** The accounts the gap detector reads: the Identity Center account (GetRoleCredentials) and every assigned or watched one. */
export function auditedAccounts(settings: PimBridgeSettings): string[] {
    return [...new Set([settings.identityCenter.accountId, ...settings.accounts])].sort();
}

/**
 * The trail's CloudTrail log folders as an IAM pattern, `[prefix/]AWSLogs/[org-id/]*\/CloudTrail/`: S3TrailSource
 * lists `<account>/CloudTrail/` to find the Region folders, then the day folders below, and gets the files there.
 * Digests (`CloudTrail-Digest/`) and other services' logs in the bucket stay out. Every account's folder rather than
 * one per audited account: per account, the watcher's policy would pass IAM's 10,240-character limit for a role's
 * inline policies near 40 accounts, and the trail owner would have to change the bucket policy for every new account.
 */
function trailLogFolders(source: S3TrailGapSource): string {
    return `${source.prefix ? `${source.prefix}/` : ""}AWSLogs/${source.organizationId ? `${source.organizationId}/` : ""}*/CloudTrail/`;
}

/** The Region of a KMS key ARN: an SSE-KMS key is in its bucket's Region, which is where S3 calls KMS from. */
function keyRegion(keyArn: string): string {
    return keyArn.split(":")[3];
}

/**
 * What reading the trail takes, scoped to its CloudTrail log folders: listing them (s3:prefix), getting their files,
 * and decrypting those through S3 only (kms:ViaService) when the trail is SSE-KMS encrypted.
 */
function trailReadStatements(source: S3TrailGapSource): { bucket: PolicyStatement[]; key: PolicyStatement[] } {
    const bucketArn = `arn:aws:s3:::${source.bucket}`;
    const logFolders = trailLogFolders(source);
    return {
        bucket: [
            {
                Sid: "GapDetectorListTrail", Effect: "Allow", Action: trailListActions, Resource: [bucketArn],
                Condition: { StringLike: { "s3:prefix": [`${logFolders}*`] } },
            },
            { Sid: "GapDetectorReadTrail", Effect: "Allow", Action: trailReadActions, Resource: [`${bucketArn}/${logFolders}*`] },
        ],
        key: source.kmsKeyArn === undefined ? [] : [{
            Sid: "GapDetectorDecryptTrail", Effect: "Allow", Action: trailKeyActions, Resource: [source.kmsKeyArn],
            Condition: { StringEquals: { "kms:ViaService": `s3.${keyRegion(source.kmsKeyArn)}.amazonaws.com` } },
        }],
    };
}

/**
 * The statements the trail bucket's owner adds to the bucket policy and, for an SSE-KMS trail, to the key policy, so
 * the watcher role may read the trail from this account: cross-account, both the role's policy and theirs must allow
 * it. In a key policy "*" is the key itself.
 */
export function trailOwnerStatements(source: S3TrailGapSource, watcherRoleArn: string):
    { bucketPolicy: ResourcePolicyStatement[]; keyPolicy: ResourcePolicyStatement[] } {
    const { bucket, key } = trailReadStatements(source);
    const principal = { AWS: watcherRoleArn };
    return {
        bucketPolicy: bucket.map(s => ({ ...s, Sid: s.Sid.replace("GapDetector", "PimBridgeWatcher"), Principal: principal })),
        keyPolicy: key.map(s => ({ ...s, Sid: s.Sid.replace("GapDetector", "PimBridgeWatcher"), Principal: principal, Resource: "*" })),
    };
}

interface EnginePolicyArgs {
    settings: PimBridgeSettings;
    tableArn: pulumi.Input<string>;
    /** Set for the Lambda: lets it write to its own log group. */
    logGroupArn?: pulumi.Input<string>;
    /** Whether the gap detector runs under this policy: CloudTrail LookupEvents through the audit roles, or the trail bucket. */
    gapDetector: boolean;
}

/** The engine's policy document as a JSON string. */
export function enginePolicyDocument(args: EnginePolicyArgs): pulumi.Output<string> {
    const { settings } = args;
    const ic = settings.identityCenter;
    return pulumi.all([args.tableArn, args.logGroupArn]).apply(([tableArn, logGroupArn]) => {
        const statements: PolicyStatement[] = [
            {
                Sid: "IdentityCenterAssignmentsAndFences",
                Effect: "Allow",
                Action: ssoScopedActions,
                Resource: [
                    ic.instanceArn,
                    // Mappings name permission sets, not their ARNs, so the set is every permission set of this instance.
                    `arn:aws:sso:::permissionSet/${ic.instanceId}/*`,
                    ...settings.accounts.map(a => `arn:aws:sso:::account/${a}`),
                ],
            },
            { Sid: "IdentityCenterFindInstance", Effect: "Allow", Action: ssoUnscopedActions, Resource: "*" },
            {
                Sid: "IdentityStoreUsersAndGroups",
                Effect: "Allow",
                Action: identityStoreActions,
                Resource: [
                    `arn:aws:identitystore::${ic.accountId}:identitystore/${ic.identityStoreId}`,
                    "arn:aws:identitystore:::user/*",
                    "arn:aws:identitystore:::group/*",
                    "arn:aws:identitystore:::membership/*",
                ],
            },
            {
                Sid: "StateStore",
                Effect: "Allow",
                Action: dynamoDbActions,
                Resource: [tableArn, `${tableArn}/index/*`],
            },
        ];
        const source = settings.gapSource;
        if (args.gapDetector && source.type === "lookup-events") {
            statements.push(
                { Sid: "GapDetectorLookupEvents", Effect: "Allow", Action: cloudTrailActions, Resource: "*" },
                {
                    Sid: "GapDetectorAuditRoles",
                    Effect: "Allow",
                    Action: assumeAuditRoleActions,
                    Resource: auditedAccounts(settings).map(a => `arn:aws:iam::${a}:role/${source.auditRoleName}`),
                });
        }
        if (args.gapDetector && source.type === "s3") {
            const { bucket, key } = trailReadStatements(source);
            statements.push(...bucket, ...key);
        }
        if (logGroupArn !== undefined)
            statements.push({ Sid: "OwnLogs", Effect: "Allow", Action: logActions, Resource: [`${logGroupArn}:*`] });
        return JSON.stringify({ Version: "2012-10-17", Statement: statements });
    });
}

/** A role trust policy that lets one AWS service (for example lambda.amazonaws.com) assume the role, and nothing else. */
export function serviceTrustPolicy(service: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
    });
}
