import * as pulumi from "@pulumi/pulumi";
import { PimBridgeSettings } from "./settings";

/**
 * The one permissions policy PimBridge's engine runs with, on AWS (the watcher Lambda) and from Azure (the bridge role).
 * Every action is one PimBridge calls (src/PimBridge.Aws clients, src/PimBridge.Store.DynamoDb); nothing else.
 */

/** sso-admin operations (src/PimBridge.Aws/SsoAdmin/SsoAdminClient.cs), scoped to the instance, its permission sets and the accounts. */
export const ssoScopedActions = [
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
export const identityStoreActions = [
    "identitystore:GetUserId",
    "identitystore:DescribeUser",
    "identitystore:IsMemberInGroups",
    "identitystore:GetGroupId",
    "identitystore:GetGroupMembershipId",
    "identitystore:ListGroupMembershipsForMember",
    "identitystore:CreateGroupMembership",
    "identitystore:DeleteGroupMembership",
];
/** CloudTrail LookupEvents supports no resource-level permissions: "*" is the only resource AWS accepts. */
export const cloudTrailActions = ["cloudtrail:LookupEvents"];
export const assumeAuditRoleActions = ["sts:AssumeRole"];
/**
 * DynamoDbStateStore: GetItem, BatchGetItem, Query (table and GSIs), PutItem and DeleteItem (the lease, alerts).
 * TransactWriteItems has no IAM action of its own: its Puts are authorised as PutItem.
 * DescribeTable/CreateTable are only used by `CreateTableAsync`, which the deployment replaces.
 */
export const dynamoDbActions = [
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
];
/** The watcher's own log stream (only in the Lambda's policy). */
export const logActions = ["logs:CreateLogStream", "logs:PutLogEvents"];

export interface PolicyStatement {
    Sid: string;
    Effect: "Allow";
    Action: string[];
    Resource: string | string[];
}

export interface EnginePolicyArgs {
    settings: PimBridgeSettings;
    tableArn: pulumi.Input<string>;
    /** Set for the Lambda: lets it write to its own log group. */
    logGroupArn?: pulumi.Input<string>;
    /** Whether the gap detector runs under this policy (CloudTrail LookupEvents through the audit roles). */
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
        if (args.gapDetector) {
            statements.push(
                { Sid: "GapDetectorLookupEvents", Effect: "Allow", Action: cloudTrailActions, Resource: "*" },
                {
                    Sid: "GapDetectorAuditRoles",
                    Effect: "Allow",
                    Action: assumeAuditRoleActions,
                    Resource: [...new Set([ic.accountId, ...settings.accounts])].sort()
                        .map(a => `arn:aws:iam::${a}:role/${settings.auditRoleName}`),
                });
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
