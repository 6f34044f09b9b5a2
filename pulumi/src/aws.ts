import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { PimBridgeSettings } from "./settings";
import { DeploymentNames } from "./names";
import { enginePolicyDocument, serviceTrustPolicy, trailOwnerStatements } from "./policy";
import { engineConfigJson, engineSecretEnvironment } from "./engineConfig";

/**
 * The state store's table, exactly as DynamoDbStateStore documents and creates it (src/PimBridge.Store.DynamoDb):
 * pk/sk, three GSIs whose keys are all strings, TTL on expires_at.
 */
export const stateTableSchema = {
    hashKey: "pk",
    rangeKey: "sk",
    attributes: ["pk", "sk", "due_kind", "due_at", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"].map(name => ({ name, type: "S" })),
    globalSecondaryIndexes: [
        { name: "due", hashKey: "due_kind", rangeKey: "due_at", projectionType: "KEYS_ONLY" },
        {
            name: "gsi1", hashKey: "gsi1pk", rangeKey: "gsi1sk", projectionType: "INCLUDE",
            // The slim ActiveGrant view that reconcile reads from the index alone.
            nonKeyAttributes: ["mapping", "principal_id", "group_id", "access", "start_at", "end_at"],
        },
        { name: "gsi2", hashKey: "gsi2pk", rangeKey: "gsi2sk", projectionType: "KEYS_ONLY" },
    ],
    ttlAttribute: "expires_at",
};

/** The watcher's Embedded Metric Format metrics (namespace, names, dimension). */
const watcherMetrics = {
    namespace: "PimBridge",
    criticalGapAlerts: "CriticalGapAlerts",
    watcherErrors: "WatcherErrors",
    dimension: "Function",
};

export interface PimBridgeAwsArgs {
    settings: PimBridgeSettings;
    names: DeploymentNames;
    /** The watcher's code: a zip of the self-contained publish (src/PimBridge.Lambda/build-lambda.sh). */
    watcherCode: pulumi.asset.Archive;
    /** The Azure Function App's managed identity (its principal id), which alone may assume the bridge role. */
    bridgePrincipalId: pulumi.Input<string>;
}

export class PimBridgeAws extends pulumi.ComponentResource {
    readonly table: aws.dynamodb.Table;
    readonly logGroup: aws.cloudwatch.LogGroup;
    readonly watcherRole: aws.iam.Role;
    readonly watcherPolicy: aws.iam.RolePolicy;
    readonly watcher: aws.lambda.Function;
    readonly artifacts: aws.s3.Bucket;
    readonly watcherPackage: aws.s3.BucketObjectv2;
    readonly schedulerRole: aws.iam.Role;
    readonly schedulerPolicy: aws.iam.RolePolicy;
    readonly schedule: aws.scheduler.Schedule;
    readonly errorsAlarm: aws.cloudwatch.MetricAlarm;
    readonly watcherErrorsAlarm: aws.cloudwatch.MetricAlarm;
    readonly criticalGapAlarm: aws.cloudwatch.MetricAlarm;
    readonly oidcProvider: aws.iam.OpenIdConnectProvider;
    readonly bridgeRole: aws.iam.Role;
    readonly bridgePolicy: aws.iam.RolePolicy;
    /** The audit role's template; only for the lookup-events gap source, which reads through that role. */
    readonly auditRoleTemplate?: pulumi.Output<string>;
    /** For the s3 gap source: the bucket (and key) policy statements the trail's owner adds for the watcher role. */
    readonly trailBucketPolicyStatements?: pulumi.Output<string>;
    readonly trailKeyPolicyStatements?: pulumi.Output<string>;
    readonly auditRoleStackSet?: aws.cloudformation.StackSet;
    readonly auditRoleStackSetInstance?: aws.cloudformation.StackSetInstance;

    constructor(name: string, args: PimBridgeAwsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pimbridge:aws:PimBridgeAws", name, {}, opts);
        const { settings, names } = args;
        const child = { parent: this };

        this.table = new aws.dynamodb.Table(`${name}-state`, {
            name: names.table,
            billingMode: "PAY_PER_REQUEST",
            hashKey: stateTableSchema.hashKey,
            rangeKey: stateTableSchema.rangeKey,
            attributes: stateTableSchema.attributes,
            globalSecondaryIndexes: stateTableSchema.globalSecondaryIndexes,
            ttl: { attributeName: stateTableSchema.ttlAttribute, enabled: true },
            pointInTimeRecovery: { enabled: true },
            serverSideEncryption: { enabled: true },
            // The table holds the audit chain and the live grants: losing it means losing track of who has access.
            deletionProtectionEnabled: true,
        }, child);

        this.logGroup = new aws.cloudwatch.LogGroup(`${name}-watcher-logs`, {
            // Lambda writes to /aws/lambda/<function name>; creating it here is what sets the retention.
            name: `/aws/lambda/${names.watcherFunction}`,
            retentionInDays: settings.watcher.logRetentionDays,
        }, child);

        this.watcherRole = new aws.iam.Role(`${name}-watcher-role`, {
            assumeRolePolicy: serviceTrustPolicy("lambda.amazonaws.com"),
            description: "PimBridge watcher Lambda: Identity Center assignments, fences, the gap detector and the state table.",
        }, child);
        this.watcherPolicy = new aws.iam.RolePolicy(`${name}-watcher-policy`, {
            role: this.watcherRole.id,
            policy: enginePolicyDocument({ settings, tableArn: this.table.arn, logGroupArn: this.logGroup.arn, gapDetector: true }),
        }, child);

        const hostEnvironment = {
            PimBridge__Store: "dynamodb",
            PimBridge__DynamoDbTable: this.table.name,
            PimBridge__DynamoDbRegion: settings.identityCenter.region,
        };
        // The self-contained package is about 62 MB zipped, over Lambda's 50 MB limit for a direct upload, so it goes
        // through a private, versioned bucket; the object's version makes a new package a new deployment.
        this.artifacts = new aws.s3.Bucket(`${name}-artifacts`, { forceDestroy: true }, child);
        new aws.s3.BucketPublicAccessBlock(`${name}-artifacts-private`, {
            bucket: this.artifacts.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
        }, child);
        const versioning = new aws.s3.BucketVersioning(`${name}-artifacts-versioning`, {
            bucket: this.artifacts.id, versioningConfiguration: { status: "Enabled" },
        }, child);
        this.watcherPackage = new aws.s3.BucketObjectv2(`${name}-watcher-package`, {
            bucket: this.artifacts.id, key: "watcher/pimbridge-watcher.zip", source: args.watcherCode, serverSideEncryption: "AES256",
        }, { ...child, dependsOn: [versioning] });
        this.watcher = new aws.lambda.Function(`${name}-watcher`, {
            name: names.watcherFunction,
            runtime: "provided.al2023",
            handler: "bootstrap",
            architectures: ["x86_64"],
            s3Bucket: this.watcherPackage.bucket,
            s3Key: this.watcherPackage.key,
            s3ObjectVersion: this.watcherPackage.versionId,
            role: this.watcherRole.arn,
            memorySize: settings.watcher.memoryMb,
            timeout: settings.watcher.timeoutSeconds,
            // No reserved concurrency: new accounts cannot reserve any (the unreserved pool must keep 10), and an
            // overlapping run is safe: the engine claims each intent and leases fence updates in the store, as it
            // must anyway, since the Function App runs the same engine at the same time.
            loggingConfig: { logFormat: "Text", logGroup: this.logGroup.name },
            environment: {
                variables: {
                    ...hostEnvironment,
                    // The engine file; the host writes it once to a temp file (CompositionSettings.EngineConfigFile).
                    PIMBRIDGE_CONFIG_JSON: engineConfigJson(settings, "watcher"),
                    ...engineSecretEnvironment(settings, "watcher"),
                },
            },
        }, { ...child, dependsOn: [this.watcherPolicy, this.logGroup] });

        this.schedulerRole = new aws.iam.Role(`${name}-scheduler-role`, {
            assumeRolePolicy: serviceTrustPolicy("scheduler.amazonaws.com"),
            description: "EventBridge Scheduler: invokes the PimBridge watcher, nothing else.",
        }, child);
        this.schedulerPolicy = new aws.iam.RolePolicy(`${name}-scheduler-policy`, {
            role: this.schedulerRole.id,
            policy: this.watcher.arn.apply(arn => JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Sid: "InvokeWatcher", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [arn] }],
            })),
        }, child);
        this.schedule = new aws.scheduler.Schedule(`${name}-watcher-schedule`, {
            scheduleExpression: settings.watcher.schedule,
            flexibleTimeWindow: { mode: "OFF" },
            target: {
                arn: this.watcher.arn,
                roleArn: this.schedulerRole.arn,
                // A missed minute is made up by the next one: retrying a stale tick only adds load.
                retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 },
            },
            description: "Runs the PimBridge watcher: due work, reconcile and the gap detector.",
        }, { ...child, dependsOn: [this.schedulerPolicy] });

        const alarmActions = settings.alarmTopicArn ? [settings.alarmTopicArn] : [];
        /** An alarm when a count reaches 1 in a period; no data (an idle function) is not a breach. */
        const countAlarm = (resource: string, alarmDescription: string, metric: { namespace: string; metricName: string; dimensions: Record<string, pulumi.Input<string>> },
            period: number, okActions: string[]) => new aws.cloudwatch.MetricAlarm(`${name}-${resource}`, {
            alarmDescription, ...metric, statistic: "Sum", period, evaluationPeriods: 1, threshold: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold", treatMissingData: "notBreaching", alarmActions,
            okActions: okActions.length > 0 ? okActions : undefined,
        }, child);
        const emf = (metricName: string) => ({ namespace: watcherMetrics.namespace, metricName, dimensions: { [watcherMetrics.dimension]: this.watcher.name } });
        this.errorsAlarm = countAlarm("watcher-errors", "The PimBridge watcher Lambda failed (Lambda Errors).",
            { namespace: "AWS/Lambda", metricName: "Errors", dimensions: { FunctionName: this.watcher.name } }, 300, alarmActions);
        this.watcherErrorsAlarm = countAlarm("watcher-reported-errors", "The PimBridge watcher reported errors it handled (EMF WatcherErrors).",
            emf(watcherMetrics.watcherErrors), 300, alarmActions);
        // No OK action: each critical gap is its own incident, not a state that clears.
        this.criticalGapAlarm = countAlarm("critical-gap", "CloudTrail shows privileged AWS use after PIM expiry (EMF CriticalGapAlerts). Investigate at once.",
            emf(watcherMetrics.criticalGapAlerts), 60, []);

        // Keyless cross-cloud identity: the Function App's managed-identity token is exchanged for AWS credentials.
        const issuerHost = `sts.windows.net/${settings.azure.tenantId}/`;
        this.oidcProvider = new aws.iam.OpenIdConnectProvider(`${name}-entra-oidc`, {
            url: `https://${issuerHost}`,
            clientIdLists: [settings.azure.webIdentityAudience],
        }, child);
        this.bridgeRole = new aws.iam.Role(`${name}-bridge-role`, {
            name: names.bridgeRole,
            description: "Assumed by the PimBridge Azure Function's managed identity (AssumeRoleWithWebIdentity); no AWS secret in Azure.",
            maxSessionDuration: 3600,
            assumeRolePolicy: pulumi.all([this.oidcProvider.arn, args.bridgePrincipalId]).apply(([providerArn, principalId]) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [{
                    Effect: "Allow",
                    Principal: { Federated: providerArn },
                    Action: "sts:AssumeRoleWithWebIdentity",
                    Condition: {
                        StringEquals: {
                            [`${issuerHost}:aud`]: settings.azure.webIdentityAudience,
                            [`${issuerHost}:sub`]: principalId,
                            
                        },
                    },
                }],
            })),
        }, child);
        this.bridgePolicy = new aws.iam.RolePolicy(`${name}-bridge-policy`, {
            role: this.bridgeRole.id,
            // The gap detector runs in the watcher only; the bridge gets no audit-role or CloudTrail access.
            policy: enginePolicyDocument({ settings, tableArn: this.table.arn, gapDetector: false }),
        }, child);

        const gapSource = settings.gapSource;
        if (gapSource.type === "s3") {
            // The trail usually lives in a log-archive account, whose owner must allow the watcher role too.
            const owner = this.watcherRole.arn.apply(arn => trailOwnerStatements(gapSource, arn));
            this.trailBucketPolicyStatements = owner.apply(o => JSON.stringify(o.bucketPolicy, null, 2));
            if (gapSource.kmsKeyArn !== undefined)
                this.trailKeyPolicyStatements = owner.apply(o => JSON.stringify(o.keyPolicy, null, 2));
        } else {
            this.auditRoleTemplate = pulumi.all([this.watcherRole.arn, gapSource.auditExternalId])
                .apply(([watcherRoleArn, externalId]) => auditRoleTemplateBody(gapSource.auditRoleName, watcherRoleArn, externalId));
        }
        // readSettings refuses organizational units with the s3 source, so there is a template whenever there are units.
        if (this.auditRoleTemplate !== undefined && settings.auditRoleOrganizationalUnitIds.length > 0) {
            this.auditRoleStackSet = new aws.cloudformation.StackSet(`${name}-audit-role`, {
                name: `pimbridge-audit-role-${names.table}`,
                description: "PimBridge read-only audit role: cloudtrail:LookupEvents, trusting the watcher role.",
                permissionModel: "SERVICE_MANAGED",
                autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
                capabilities: ["CAPABILITY_NAMED_IAM"],
                templateBody: this.auditRoleTemplate,
            }, child);
            this.auditRoleStackSetInstance = new aws.cloudformation.StackSetInstance(`${name}-audit-role-targets`, {
                stackSetName: this.auditRoleStackSet.name,
                deploymentTargets: { organizationalUnitIds: settings.auditRoleOrganizationalUnitIds },
                region: settings.identityCenter.region,
            }, child);
        }

        this.registerOutputs({
            tableName: this.table.name,
            watcherName: this.watcher.name,
            bridgeRoleArn: this.bridgeRole.arn,
            watcherRoleArn: this.watcherRole.arn,
        });
    }
}

/** CloudFormation template of the read-only audit role for member accounts (deployed by the StackSet or by hand). */
function auditRoleTemplateBody(roleName: string, trustedRoleArn: string, externalId?: string): string {
    return JSON.stringify({
        AWSTemplateFormatVersion: "2010-09-09",
        Description: "PimBridge gap detector: read-only CloudTrail access for the PimBridge watcher.",
        Resources: {
            AuditRole: {
                Type: "AWS::IAM::Role",
                Properties: {
                    RoleName: roleName,
                    AssumeRolePolicyDocument: {
                        Version: "2012-10-17",
                        Statement: [{
                            Effect: "Allow", Principal: { AWS: trustedRoleArn }, Action: "sts:AssumeRole",
                            ...(externalId ? { Condition: { StringEquals: { "sts:ExternalId": externalId } } } : {}),
                        }],
                    },
                    Policies: [{
                        PolicyName: "LookupEventsOnly",
                        PolicyDocument: {
                            Version: "2012-10-17",
                            // LookupEvents supports no resource-level permissions, so "*" is the narrowest resource.
                            Statement: [{ Effect: "Allow", Action: "cloudtrail:LookupEvents", Resource: "*" }],
                        },
                    }],
                },
            },
        },
    }, null, 2);
}
