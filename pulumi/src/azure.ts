import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources";
import * as storage from "@pulumi/azure-native/storage";
import * as web from "@pulumi/azure-native/web";
import * as authorization from "@pulumi/azure-native/authorization";
import * as eventgrid from "@pulumi/azure-native/eventgrid";
import { PimBridgeSettings } from "./settings";
import { engineConfigJson, engineSecretEnvironment } from "./engineConfig";

/**
 * The Graph application permissions the Function App's managed identity needs (docs/entra.md). Pulumi cannot grant
 * admin consent; docs/deploy.md shows the commands.
 */
export const graphApplicationPermissions = [
    "PrivilegedAssignmentSchedule.Read.AzureADGroup",
    "User.Read.All",
    "Group.Read.All",
];

/** Built-in Azure role definition ids (the same in every tenant). */
export const azureRoles = {
    storageBlobDataOwner: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    storageQueueDataContributor: "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
};

/**
 * Where the Function App's HTTP function GraphEvents (src/PimBridge.Functions) takes Event Grid deliveries: its route
 * under the Functions host's api/ prefix.
 */
export const graphEventsPath = "/api/events";

/** The header the event subscription sends the delivery secret in: the webhook's default PimBridge:Host:SharedSecret:HeaderName. */
export const deliverySecretHeader = "X-PimBridge-Secret";

/** The Linux runtime stack of a .NET 10 isolated-worker app; it must match FUNCTIONS_WORKER_RUNTIME. */
export const functionsRuntimeStack = "DOTNET-ISOLATED|10.0";

export interface PimBridgeAzureArgs {
    settings: PimBridgeSettings;
    /**
     * The path of the zip src/PimBridge.Functions/publish-functions.sh writes (artifacts/functions.zip): the same package
     * for every stack, since the engine file reaches the Function App as an app setting.
     */
    functionsPackagePath: string;
    /** The AWS role the function assumes with its managed-identity token. */
    awsRoleArn: pulumi.Input<string>;
    awsRegion: string;
    tableName: pulumi.Input<string>;
}

export class PimBridgeAzure extends pulumi.ComponentResource {
    readonly resourceGroup: resources.ResourceGroup;
    readonly storageAccount: storage.StorageAccount;
    readonly packageContainer: storage.BlobContainer;
    readonly packageBlob: storage.Blob;
    readonly plan: web.AppServicePlan;
    readonly functionApp: web.WebApp;
    readonly roleAssignments: authorization.RoleAssignment[];
    readonly eventSubscription?: eventgrid.PartnerTopicEventSubscription;
    /** The managed identity's principal (object) id: the `sub` of its tokens, pinned by the AWS bridge role. */
    readonly principalId: pulumi.Output<string>;

    constructor(name: string, args: PimBridgeAzureArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pimbridge:azure:PimBridgeAzure", name, {}, opts);
        const { settings } = args;
        const child = { parent: this };

        this.resourceGroup = new resources.ResourceGroup(`${name}-rg`, { location: settings.azure.location }, child);
        this.storageAccount = new storage.StorageAccount(`${name}sa`, {
            resourceGroupName: this.resourceGroup.name,
            location: settings.azure.location,
            kind: "StorageV2",
            sku: { name: "Standard_LRS" },
            minimumTlsVersion: "TLS1_2",
            allowBlobPublicAccess: false,
            // The function reaches its storage with its managed identity; no account key is handed out.
            allowSharedKeyAccess: false,
        }, child);
        this.packageContainer = new storage.BlobContainer(`${name}-packages`, {
            resourceGroupName: this.resourceGroup.name,
            accountName: this.storageAccount.name,
            publicAccess: "None",
        }, child);
        if (!args.functionsPackagePath.endsWith(".zip"))
            throw new Error(`The Function App package must be the .zip src/PimBridge.Functions/publish-functions.sh writes (got "${args.functionsPackagePath}"): `
                + "run-from-package takes a zip.");
        this.packageBlob = new storage.Blob(`${name}-functions-zip`, {
            resourceGroupName: this.resourceGroup.name,
            accountName: this.storageAccount.name,
            containerName: this.packageContainer.name,
            type: "Block",
            // A FileArchive of a .zip is uploaded byte for byte: the package publish-functions.sh built and tested,
            // not one the Pulumi engine zips itself (without Unix modes, pulumi/pulumi#3593).
            source: new pulumi.asset.FileArchive(args.functionsPackagePath),
        }, child);

        this.plan = new web.AppServicePlan(`${name}-plan`, {
            resourceGroupName: this.resourceGroup.name,
            location: settings.azure.location,
            kind: "functionapp",
            reserved: true, // Linux
            sku: { name: "Y1", tier: "Dynamic" },
        }, child);

        const blobEndpoint = this.storageAccount.primaryEndpoints.apply(e => e.blob);
        const appSettings: Record<string, pulumi.Input<string>> = {
            FUNCTIONS_EXTENSION_VERSION: "~4",
            FUNCTIONS_WORKER_RUNTIME: "dotnet-isolated",
            AzureWebJobsStorage__accountName: this.storageAccount.name,
            AzureWebJobsStorage__credential: "managedidentity",
            WEBSITE_RUN_FROM_PACKAGE: pulumi.interpolate`${blobEndpoint}${this.packageContainer.name}/${this.packageBlob.name}`,
            WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID: "SystemAssigned",
            // AWS credentials come from AssumeRoleWithWebIdentity with the managed identity's token
            // (CompositionSettings's PimBridge:Aws:WebIdentity* keys): no AWS secret is stored in Azure.
            PimBridge__Aws__WebIdentityRoleArn: args.awsRoleArn,
            PimBridge__Aws__WebIdentityAudience: settings.azure.webIdentityAudience,
            PimBridge__Aws__WebIdentitySessionName: "pimbridge-bridge",
            AWS_REGION: args.awsRegion,
            PimBridge__Store: "dynamodb",
            PimBridge__DynamoDbTable: args.tableName,
            PimBridge__DynamoDbRegion: args.awsRegion,
            // The Reconcile timer polls (every 10 s, on one instance at a time); every instance polling on its own would multiply PIM reads (docs/host.md).
            PimBridge__Host__Worker__PollInterval: "00:00:00",
            // The webhook (the HTTP function GraphEvents) authenticates every delivery with the secret the event
            // subscription sends; the function itself is anonymous to the Functions host.
            PimBridge__Host__SharedSecret__Secret: settings.eventDeliverySecret,
            // The engine file, as the watcher gets it; the host writes it to a temp file itself. Keeping it out of the
            // package (mounted read-only at wwwroot) makes the package the same for every stack.
            PIMBRIDGE_CONFIG_JSON: engineConfigJson(settings, "function"),
            ...engineSecretEnvironment(settings, "function"),
        };
        this.functionApp = new web.WebApp(`${name}-func`, {
            resourceGroupName: this.resourceGroup.name,
            location: settings.azure.location,
            kind: "functionapp,linux",
            reserved: true,
            serverFarmId: this.plan.id,
            httpsOnly: true,
            identity: { type: "SystemAssigned" },
            siteConfig: {
                linuxFxVersion: functionsRuntimeStack,
                ftpsState: "Disabled",
                minTlsVersion: "1.2",
                appSettings: Object.entries(appSettings).map(([key, value]) => ({ name: key, value })),
            },
        }, child);
        this.principalId = this.functionApp.identity.apply(identity => {
            if (!identity?.principalId) throw new Error("The Function App has no system-assigned identity principal id; it is required for the AWS bridge role's trust.");
            return identity.principalId;
        });

        const roleScope = this.storageAccount.id;
        this.roleAssignments = Object.entries(azureRoles).map(([role, roleId]) => new authorization.RoleAssignment(`${name}-${role}`, {
            principalId: this.principalId,
            principalType: "ServicePrincipal",
            roleDefinitionId: `/subscriptions/${settings.azure.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`,
            scope: roleScope,
        }, child));

        if (settings.azure.partnerTopicName !== undefined) {
            this.eventSubscription = new eventgrid.PartnerTopicEventSubscription(`${name}-graph-events`, {
                resourceGroupName: settings.azure.partnerTopicResourceGroup ?? this.resourceGroup.name,
                partnerTopicName: settings.azure.partnerTopicName,
                eventDeliverySchema: "CloudEventSchemaV1_0",
                // A webhook subscription to the HTTP function: Event Grid's own trigger extension is not used. The
                // endpoint answers the CloudEvents handshake, and checks the secret sent as a static header.
                destination: {
                    endpointType: "WebHook",
                    endpointUrl: pulumi.interpolate`https://${this.functionApp.defaultHostName}${graphEventsPath}`,
                    maxEventsPerBatch: 1,
                    deliveryAttributeMappings: [{ name: deliverySecretHeader, type: "Static", value: settings.eventDeliverySecret, isSecret: true }],
                },
                retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 },
            }, { ...child, dependsOn: [this.functionApp, ...this.roleAssignments] });
        }

        this.registerOutputs({ functionAppName: this.functionApp.name, principalId: this.principalId });
    }
}

