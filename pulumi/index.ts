import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as azure from "@pulumi/azure-native";
import { readSettings, pulumiConfigSource } from "./src/settings";
import { checkPackages } from "./src/packages";
import { deploymentNames } from "./src/names";
import { PimBridgeAws } from "./src/aws";
import { PimBridgeAzure, graphApplicationPermissions } from "./src/azure";

const settings = readSettings(pulumiConfigSource());
checkPackages(settings, __dirname);
const names = deploymentNames(pulumi.getStack());

const awsProvider = new aws.Provider("aws", { region: settings.identityCenter.region as aws.Region });
const azureProvider = new azure.Provider("azure", {
    tenantId: settings.azure.tenantId,
    subscriptionId: settings.azure.subscriptionId,
    location: settings.azure.location,
});

// Each side needs a name from the other: the bridge role's ARN is known from its fixed name, so Azure goes first.
const accountId = aws.getCallerIdentityOutput({}, { provider: awsProvider }).accountId;
const bridgeRoleArn = pulumi.interpolate`arn:aws:iam::${accountId}:role/${names.bridgeRole}`;

const azureSide = new PimBridgeAzure("pimbridge", {
    settings,
    functionsPackagePath: path.resolve(__dirname, settings.azure.functionsPackagePath),
    awsRoleArn: bridgeRoleArn,
    awsRegion: settings.identityCenter.region,
    tableName: names.table,
}, { providers: [azureProvider] });

const awsSide = new PimBridgeAws("pimbridge", {
    settings,
    names,
    watcherCode: new pulumi.asset.FileArchive(path.resolve(__dirname, settings.watcher.packagePath)),
    bridgePrincipalId: azureSide.principalId,
}, { providers: [awsProvider] });

export const stateTable = awsSide.table.name;
export const watcherFunction = awsSide.watcher.name;
export const watcherLogGroup = awsSide.logGroup.name;
export const bridgeRole = awsSide.bridgeRole.arn;
/** The principal the gap detector reads CloudTrail as: audit roles and the trail bucket's owner trust this ARN. */
export const watcherRole = awsSide.watcherRole.arn;
export const functionApp = azureSide.functionApp.name;
export const functionPrincipalId = azureSide.principalId;
/** Pulumi cannot consent these: grant them to functionPrincipalId as docs/deploy.md shows. */
export const graphPermissionsToConsent = graphApplicationPermissions;
/** Deploy this in every member account when no StackSet is configured (pimbridge:auditRoleOrganizationalUnitIds); none with gapsSource s3. */
export const auditRoleTemplate = awsSide.auditRoleTemplate;
/** With pimbridge:gapsSource s3: add these to the trail bucket's policy (and, for an SSE-KMS trail, the key's), docs/deploy.md. */
export const trailBucketPolicyStatements = awsSide.trailBucketPolicyStatements;
export const trailKeyPolicyStatements = awsSide.trailKeyPolicyStatements;
