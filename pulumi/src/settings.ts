import * as pulumi from "@pulumi/pulumi";

/**
 * The stack settings (`pulumi config set pimbridge:<key> ...`), read and checked in one place so that every problem
 * is reported at once, each naming the key, what is wrong and the command that fixes it.
 */

export const configNamespace = "pimbridge";

/** One PIM group binding, as in the engine file's `Mappings[]` (docs/configuration.md). */
interface Mapping {
    name: string;
    entraGroupId: string;
    access?: "member" | "owner";
    identityCenterGroup?: { id?: string; displayName?: string };
    accountAssignments?: { permissionSet: string; accounts: string[] };
    maxDuration?: string;
    includePermanent?: boolean;
    fenceSessions?: boolean;
}

/** One notification sink, as in the engine file's `Notifications.Sinks[]`; its URL is a secret, set apart. */
interface AlertSink {
    name: string;
    type: string;
    minimumSeverity?: string;
    kinds?: string[];
}

export interface PimBridgeSettings {
    identityCenter: {
        instanceArn: string;
        /** The `ssoins-...` part of the instance ARN, which permission-set ARNs embed. */
        instanceId: string;
        identityStoreId: string;
        region: string;
        /** The account that holds the Identity Center instance (management or delegated administrator). */
        accountId: string;
        matchUsersBy?: string;
    };
    mappings: Mapping[];
    /** Every account PimBridge assigns access in or audits: the mappings' accounts plus `watchedAccounts`. */
    accounts: string[];
    /** Where the gap detector reads CloudTrail (docs/gaps.md). */
    gapSource: GapSourceSettings;
    gapsInterval: string;
    gapsRegions: string[];
    alertSinks: AlertSink[];
    /** Sink name to webhook URL; a secret. */
    alertSinkUrls?: pulumi.Output<Record<string, string>>;
    /** SNS topic the CloudWatch alarms notify; none: the alarms only change state. */
    alarmTopicArn?: string;
    watcher: {
        schedule: string;
        memoryMb: number;
        timeoutSeconds: number;
        packagePath: string;
        logRetentionDays: number;
    };
    azure: {
        tenantId: string;
        subscriptionId: string;
        location: string;
        /** The zip src/PimBridge.Functions/publish-functions.sh writes, relative to pulumi/; always ends in .zip. */
        functionsPackagePath: string;
        webIdentityAudience: string;
        /** The Graph partner topic; the event subscription is created only once it exists (docs/deploy.md). */
        partnerTopicName?: string;
        partnerTopicResourceGroup?: string;
    };
    graphClientState: pulumi.Output<string>;
    /** The shared secret Event Grid sends with every delivery to the Function App's webhook (PimBridge:Host:SharedSecret). */
    eventDeliverySecret: pulumi.Output<string>;
    /** Organizational units the audit-role StackSet deploys to; empty: the template is only exported. */
    auditRoleOrganizationalUnitIds: string[];
}

/** CloudTrail event history (LookupEvents) in each account, read through a read-only audit role there. */
interface LookupEventsGapSource {
    type: "lookup-events";
    auditRoleName: string;
    auditExternalId?: pulumi.Output<string>;
}

/** An organization (or single-account) trail's log files in an S3 bucket, usually in a log-archive account. */
export interface S3TrailGapSource {
    type: "s3";
    bucket: string;
    /** The key prefix before `AWSLogs/`, without leading or trailing slashes. */
    prefix?: string;
    /** The `o-...` folder of an organization trail; none for a single-account trail. */
    organizationId?: string;
    /** The KMS key the trail encrypts its files with (SSE-KMS); none for SSE-S3. */
    kmsKeyArn?: string;
}

type GapSourceSettings = LookupEventsGapSource | S3TrailGapSource;

/** The gap sources a deployment can use; the engine's third, `directory`, reads a local folder, which a Lambda does not have. */
const gapSourceTypes = ["lookup-events", "s3"] as const;

/** Where settings come from: Pulumi config in the program, a plain map in tests. */
export interface SettingsSource {
    get(key: string): string | undefined;
    /** A secret's plaintext, to check it here; readSettings wraps it with pulumi.secret and never echoes it. */
    getSecret(key: string): string | undefined;
}

export function pulumiConfigSource(config: pulumi.Config = new pulumi.Config(configNamespace)): SettingsSource {
    // runtime.getConfig reads a secret's plaintext without the "use getSecret" warning; it is re-wrapped as a secret.
    return { get: key => config.get(key), getSecret: key => pulumi.runtime.getConfig(`${configNamespace}:${key}`) };
}

/** Thrown with every invalid or missing setting, one per line. */
export class StackSettingsError extends Error {
    constructor(readonly problems: string[]) {
        super(`The stack settings are invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n`
            + problems.map(p => `  - ${p}`).join("\n"));
        this.name = "StackSettingsError";
    }
}

// The ids AWS's API documents and the engine accepts (PimBridgeConfiguration.cs), in the commercial partition the
// program's ARNs are written for: a narrower check would refuse an instance the engine runs against.
const instanceArnPattern = /^arn:aws:sso:::instance\/((?:sso)?ins-[a-zA-Z0-9-.]{16})$/;
const identityStorePattern = /^(d-[0-9a-z]{10}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const regionPattern = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const accountPattern = /^\d{12}$/;
const guidPattern = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const roleNamePattern = /^[\w+=,.@-]{1,64}$/;
/** S3's bucket naming rules, as the engine checks them (TrailSources.ValidateS3), plus no two adjacent periods. */
const bucketPattern = /^(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Key characters S3 calls safe, without `*` and `?`, which would be wildcards in the policy's resources. */
const keyPrefixPattern = /^[A-Za-z0-9!_.'()\/-]{1,512}$/;
const organizationIdPattern = /^o-[a-z0-9]{10,32}$/;
/** A key ARN (not an alias: IAM matches kms:Decrypt against the key), single- or multi-Region. */
const kmsKeyArnPattern = /^arn:aws[\w-]*:kms:([a-z]{2}(?:-gov)?-[a-z]+-\d):\d{12}:key\/(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const mappingNamePattern = /^[A-Za-z0-9._-]{1,64}$/;
const schedulePattern = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/;
const durationPattern = /^(\d+(\.\d+)?[smhd]|P.*T?.*|\d{1,2}:\d{2}:\d{2})$/;
/** The values CloudWatch Logs accepts for a log group's retention. */
const logRetentionDaysAllowed = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export function readSettings(source: SettingsSource): PimBridgeSettings {
    const problems: string[] = [];
    const set = (key: string, example: string) => `set it with \`pulumi config set ${configNamespace}:${key} ${example}\``;
    const fail = (key: string, what: string, example: string) => problems.push(`${configNamespace}:${key} ${what}; ${set(key, example)}`);

    function required(key: string, pattern: RegExp, shape: string, example: string): string {
        const value = source.get(key)?.trim();
        if (!value) fail(key, `is required (${shape})`, example);
        else if (!pattern.test(value)) fail(key, `must look like ${shape} (got "${value}")`, example);
        return value ?? "";
    }
    function optional(key: string, fallback: string, pattern: RegExp, shape: string, example: string): string {
        const value = source.get(key)?.trim();
        if (value === undefined || value === "") return fallback;
        if (!pattern.test(value)) fail(key, `must look like ${shape} (got "${value}")`, example);
        return value;
    }
    function integer(key: string, fallback: number, min: number, max: number, example: string): number {
        const raw = source.get(key)?.trim();
        if (raw === undefined || raw === "") return fallback;
        const value = Number(raw);
        if (!Number.isInteger(value) || value < min || value > max) {
            fail(key, `must be a whole number from ${min} to ${max} (got "${raw}")`, example);
            return fallback;
        }
        return value;
    }
    function json<T>(key: string, example: string): T | undefined {
        const raw = source.get(key);
        if (raw === undefined || raw.trim() === "") return undefined;
        try {
            return JSON.parse(raw) as T;
        } catch (e) {
            fail(key, `is not valid JSON (${(e as Error).message})`, example);
            return invalidJson as T;
        }
    }
    function stringList(key: string, pattern: RegExp, shape: string, example: string): string[] {
        const list = json<unknown>(key, example);
        if (list === undefined || list === invalidJson) return [];
        if (!Array.isArray(list) || list.some(v => typeof v !== "string" || !pattern.test(v))) {
            fail(key, `must be a JSON list of ${shape} (got ${JSON.stringify(list)})`, example);
            return [];
        }
        return list as string[];
    }

    const instanceArn = required("identityCenterInstanceArn", instanceArnPattern, "arn:aws:sso:::instance/ssoins-<16 letters or digits>",
        "arn:aws:sso:::instance/ssoins-0123456789abcdef");
    const identityStoreId = required("identityStoreId", identityStorePattern, "d-<10 letters or digits> or a GUID", "d-1234567890");
    const region = required("identityCenterRegion", regionPattern, "an AWS Region such as eu-west-1", "eu-west-1");
    const accountId = required("identityCenterAccountId", accountPattern, "a 12-digit AWS account id", "'\"111122223333\"'");
    const matchUsersBy = source.get("matchUsersBy")?.trim() || undefined;
    if (matchUsersBy !== undefined && matchUsersBy !== "userPrincipalName" && matchUsersBy !== "mail")
        fail("matchUsersBy", `must be userPrincipalName or mail (got "${matchUsersBy}")`, "mail");

    const mappingsExample = `'[{"name":"prod-admin","entraGroupId":"<group GUID>","accountAssignments":{"permissionSet":"AdministratorAccess","accounts":["111122223333"]}}]'`;
    const mappings = readMappings(json<unknown>("mappings", mappingsExample), problems, set("mappings", mappingsExample));

    const watchedAccounts = stringList("watchedAccounts", accountPattern, "12-digit account ids", `'["444455556666"]'`);
    const accounts = [...new Set([...mappings.flatMap(m => m.accountAssignments?.accounts ?? []), ...watchedAccounts])].sort();

    const gapSourceType = source.get("gapsSource")?.trim() || "lookup-events";
    const gapSourceKnown = (gapSourceTypes as readonly string[]).includes(gapSourceType);
    if (!gapSourceKnown)
        fail("gapsSource", `must be lookup-events (each account's CloudTrail event history, read through the audit role) or s3 `
            + `(an organization trail's log files in its bucket) (got "${gapSourceType}")`, "s3");
    const usesS3 = gapSourceType === "s3";
    // Each source's settings are checked whenever they are set, so a typo shows at once, but only the chosen source
    // requires its own: switching sources is one `pulumi config set`.
    const auditRoleName = optional("auditRoleName", "", roleNamePattern, "an IAM role name (1-64 of letters, digits and +=,.@_-)", "PimBridgeAudit");
    if (gapSourceKnown && !usesS3 && auditRoleName === "")
        fail("auditRoleName", `is required with ${configNamespace}:gapsSource lookup-events, the default (the read-only role the watcher assumes in each account)`, "PimBridgeAudit");
    const bucketExample = "org-cloudtrail-logs";
    const trailBucket = optional("gapsTrailBucket", "", bucketPattern, "a bare S3 bucket name (3-63 of a-z, 0-9, . and -; no s3:// or ARN)", bucketExample);
    if (usesS3 && trailBucket === "")
        fail("gapsTrailBucket", `is required with ${configNamespace}:gapsSource s3 (the bucket the organization trail delivers its log files to)`, bucketExample);
    const trailPrefix = readTrailPrefix(source.get("gapsTrailPrefix"), (what, example) => fail("gapsTrailPrefix", what, example));
    const organizationId = optional("gapsOrganizationId", "", organizationIdPattern,
        "an AWS Organizations id (o- and 10-32 lowercase letters or digits)", "o-a1b2c3d4e5") || undefined;
    const trailKmsKeyArn = optional("gapsTrailKmsKeyArn", "", kmsKeyArnPattern,
        "a KMS key ARN, arn:aws:kms:<region>:<account>:key/<key id> (the key itself, not an alias)",
        "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab") || undefined;
    const gapsInterval = optional("gapsInterval", "5m", durationPattern, "an engine duration such as 5m", "5m");
    const gapsRegions = stringList("gapsRegions", regionPattern, "AWS Regions", `'["eu-west-1","us-east-1"]'`);

    const sinksExample = `'[{"name":"security-slack","type":"slack","minimumSeverity":"warning"}]'`;
    const alertSinks = readSinks(json<unknown>("alertSinks", sinksExample), problems, set("alertSinks", sinksExample));
    const alertSinkUrlsRaw = source.getSecret("alertSinkUrls");
    let alertSinkUrls: pulumi.Output<Record<string, string>> | undefined;
    if (alertSinkUrlsRaw !== undefined && alertSinkUrlsRaw.trim() !== "") {
        const urlsExample = `--secret '{"security-slack":"https://hooks.slack.com/services/..."}'`;
        let parsed: unknown;
        try { parsed = JSON.parse(alertSinkUrlsRaw); } catch { parsed = undefined; }
        // The value is a secret: problems name the sinks, never the URLs.
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || Object.values(parsed).some(v => typeof v !== "string" || !/^https:\/\//.test(v)))
            fail("alertSinkUrls", "must be a JSON object of sink name to https URL", urlsExample);
        else {
            const unknown = Object.keys(parsed).filter(n => !alertSinks.some(sink => sink.name === n));
            if (unknown.length > 0) fail("alertSinkUrls", `names sinks that ${configNamespace}:alertSinks does not define: ${unknown.join(", ")}`, urlsExample);
            alertSinkUrls = pulumi.secret(parsed as Record<string, string>);
        }
    }
    const alarmTopicArn = optional("alarmTopicArn", "", /^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, "arn:aws:sns:<region>:<account>:<topic>",
        "arn:aws:sns:eu-west-1:111122223333:pimbridge-alarms") || undefined;

    const schedule = optional("watcherSchedule", "rate(1 minute)", schedulePattern, "rate(<n> minute[s]|hour[s]|day[s]) or cron(...)", "'rate(1 minute)'");
    const memoryMb = integer("watcherMemoryMb", 512, 128, 10240, "512");
    const timeoutSeconds = integer("watcherTimeoutSeconds", 60, 1, 900, "60");
    const packagePath = source.get("watcherPackage")?.trim() || "../artifacts/pimbridge-watcher.zip";
    const logRetentionDays = integer("logRetentionDays", 30, 1, 3653, "30");
    if (!logRetentionDaysAllowed.includes(logRetentionDays))
        fail("logRetentionDays", `must be one of CloudWatch Logs' values ${logRetentionDaysAllowed.join(", ")} (got ${logRetentionDays})`, "30");

    const tenantId = required("azureTenantId", guidPattern, "the Entra tenant id (a GUID)", "8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e");
    const subscriptionId = required("azureSubscriptionId", guidPattern, "an Azure subscription id (a GUID)", "00000000-0000-0000-0000-000000000000");
    const location = optional("azureLocation", "westeurope", /^[a-z0-9]+$/, "an Azure location such as westeurope", "westeurope");
    const functionsPackagePath = source.get("functionsPackage")?.trim() || "../artifacts/functions.zip";
    // Run-from-package takes a zip; the program uploads the built one as it is and never zips a folder itself.
    if (!functionsPackagePath.endsWith(".zip"))
        problems.push(`${configNamespace}:functionsPackage must name a .zip file, the one src/PimBridge.Functions/publish-functions.sh writes `
            + `(got "${functionsPackagePath}"); build it with `
            + `src/PimBridge.Functions/publish-functions.sh (it writes artifacts/functions.zip) and `
            + `set it with \`pulumi config set ${configNamespace}:functionsPackage ../artifacts/functions.zip\``);
    const webIdentityAudience = optional("webIdentityAudience", "api://AzureADTokenExchange", /^\S{1,255}$/,
        "a token audience such as api://AzureADTokenExchange", "api://AzureADTokenExchange");
    const partnerTopicName = optional("partnerTopicName", "", /^[A-Za-z0-9-]{3,50}$/, "an Event Grid partner topic name", "pimbridge-graph") || undefined;
    const partnerTopicResourceGroup = optional("partnerTopicResourceGroup", "", /^[-\w._()]{1,90}$/, "a resource group name", "pimbridge") || undefined;

    const graphClientState = source.getSecret("graphClientState");
    if (graphClientState !== undefined && graphClientState.length > 128)
        problems.push(`${configNamespace}:graphClientState is longer than Graph's 128-character limit for clientState; `
            + `set it with \`pulumi config set --secret ${configNamespace}:graphClientState "$(openssl rand -hex 32)"\``);
    if (graphClientState === undefined || graphClientState === "")
        problems.push(`${configNamespace}:graphClientState is required (the secret Graph echoes in every notification, at most 128 characters); `
            + `set it with \`pulumi config set --secret ${configNamespace}:graphClientState "$(openssl rand -hex 32)"\``);
    const eventDeliverySecret = source.getSecret("eventDeliverySecret");
    if (eventDeliverySecret === undefined || eventDeliverySecret.length < 16)
        problems.push(`${configNamespace}:eventDeliverySecret is required (at least 16 characters: the secret Event Grid sends in a header with every `
            + `delivery, which the Function App's webhook checks); set it with \`pulumi config set --secret ${configNamespace}:eventDeliverySecret "$(openssl rand -hex 32)"\``);
    const auditExternalIdRaw = source.getSecret("auditExternalId");
    const auditRoleOrganizationalUnitIds = stringList("auditRoleOrganizationalUnitIds", /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/,
        "organization root or OU ids (r-... or ou-...)", `'["ou-ab12-cdefgh34"]'`);

    if (usesS3 && auditRoleOrganizationalUnitIds.length > 0)
        problems.push(`${configNamespace}:auditRoleOrganizationalUnitIds deploys the LookupEvents audit role, which ${configNamespace}:gapsSource s3 `
            + `does not use; remove it with \`pulumi config rm ${configNamespace}:auditRoleOrganizationalUnitIds\` (the StackSet and its roles are then deleted)`);

    if (problems.length > 0) throw new StackSettingsError(problems);

    const gapSource: GapSourceSettings = usesS3
        ? { type: "s3", bucket: trailBucket, prefix: trailPrefix, organizationId, kmsKeyArn: trailKmsKeyArn }
        : { type: "lookup-events", auditRoleName, auditExternalId: auditExternalIdRaw ? pulumi.secret(auditExternalIdRaw) : undefined };

    return {
        identityCenter: { instanceArn, instanceId: instanceArnPattern.exec(instanceArn)![1], identityStoreId, region, accountId, matchUsersBy },
        mappings,
        accounts,
        gapSource,
        gapsInterval,
        // No Regions for s3: the engine reads every Region folder the trail has, which an organization trail fills.
        gapsRegions: gapsRegions.length > 0 ? gapsRegions : usesS3 ? [] : [region],
        alertSinks,
        alertSinkUrls,
        alarmTopicArn,
        watcher: { schedule, memoryMb, timeoutSeconds, packagePath, logRetentionDays },
        azure: { tenantId, subscriptionId, location, functionsPackagePath, webIdentityAudience, partnerTopicName, partnerTopicResourceGroup },
        graphClientState: pulumi.secret(graphClientState!),
        eventDeliverySecret: pulumi.secret(eventDeliverySecret!),
        auditRoleOrganizationalUnitIds,
    };
}

/**
 * The trail's key prefix (before `AWSLogs/`) without its outer slashes, or undefined when unset; refuses what the
 * engine refuses (TrailSources.ValidateS3): a URL, or a prefix that already contains the AWSLogs folder.
 */
function readTrailPrefix(raw: string | undefined, fail: (what: string, example: string) => void): string | undefined {
    const value = raw?.trim() ?? "";
    const prefix = value.replace(/^\/+|\/+$/g, "");
    if (prefix === "") return undefined;
    if (/^s3:\/\//i.test(value))
        fail(`is a URL (got "${value}"); set only the key prefix inside the bucket (the bucket goes in ${configNamespace}:gapsTrailBucket)`, "cloudtrail");
    else if (prefix.split("/").includes("AWSLogs"))
        fail(`includes AWSLogs (got "${value}"); set only the part before AWSLogs/, which PimBridge adds itself with the organization id, or leave it unset`, "cloudtrail");
    else if (!keyPrefixPattern.test(prefix))
        fail(`must be an S3 key prefix of letters, digits and !_.'()/- (got "${value}")`, "cloudtrail");
    return prefix;
}

/** Marks a setting whose JSON did not parse: already reported, so not reported again as missing or mis-shaped. */
const invalidJson = Symbol("invalid JSON");

function readMappings(value: unknown, problems: string[], fix: string): Mapping[] {
    const where = `${configNamespace}:mappings`;
    if (value === invalidJson) return [];
    if (value === undefined) {
        problems.push(`${where} is required (at least one mapping of a PIM group to an AWS target); ${fix}`);
        return [];
    }
    if (!Array.isArray(value) || value.length === 0) {
        problems.push(`${where} must be a non-empty JSON list of mappings; ${fix}`);
        return [];
    }
    const names = new Set<string>();
    value.forEach((m: any, i: number) => {
        const at = `${where}[${i}]`;
        if (typeof m !== "object" || m === null) { problems.push(`${at} must be an object; ${fix}`); return; }
        if (typeof m.name !== "string" || !mappingNamePattern.test(m.name)) problems.push(`${at}.name must be 1-64 of A-Za-z0-9._- (got ${JSON.stringify(m.name)}); ${fix}`);
        else if (names.has(m.name)) problems.push(`${at}.name "${m.name}" is used twice: mapping names must be unique; ${fix}`);
        else names.add(m.name);
        if (typeof m.entraGroupId !== "string" || !guidPattern.test(m.entraGroupId)) problems.push(`${at}.entraGroupId must be the Entra group's object id, a GUID (got ${JSON.stringify(m.entraGroupId)}); ${fix}`);
        if (m.access !== undefined && m.access !== "member" && m.access !== "owner") problems.push(`${at}.access must be member or owner (got ${JSON.stringify(m.access)}); ${fix}`);
        const hasGroup = m.identityCenterGroup !== undefined, hasAssignments = m.accountAssignments !== undefined;
        if (hasGroup === hasAssignments) problems.push(`${at} must have exactly one target: identityCenterGroup or accountAssignments; ${fix}`);
        if (hasGroup && (typeof m.identityCenterGroup !== "object" || (m.identityCenterGroup.id === undefined) === (m.identityCenterGroup.displayName === undefined)))
            problems.push(`${at}.identityCenterGroup must set exactly one of id and displayName; ${fix}`);
        if (hasAssignments) {
            const a = m.accountAssignments;
            if (typeof a?.permissionSet !== "string" || a.permissionSet.trim() === "") problems.push(`${at}.accountAssignments.permissionSet is required (a permission set name or ARN); ${fix}`);
            if (!Array.isArray(a?.accounts) || a.accounts.length === 0 || a.accounts.some((x: unknown) => typeof x !== "string" || !accountPattern.test(x)))
                problems.push(`${at}.accountAssignments.accounts must be a non-empty list of quoted 12-digit account ids (got ${JSON.stringify(a?.accounts)}); ${fix}`);
            else if (new Set(a.accounts).size !== a.accounts.length) problems.push(`${at}.accountAssignments.accounts lists an account twice; ${fix}`);
        }
    });
    return value as Mapping[];
}

function readSinks(value: unknown, problems: string[], fix: string): AlertSink[] {
    const where = `${configNamespace}:alertSinks`;
    if (value === undefined || value === invalidJson) return [];
    if (!Array.isArray(value)) {
        problems.push(`${where} must be a JSON list of sinks; ${fix}`);
        return [];
    }
    value.forEach((s: any, i: number) => {
        if (typeof s?.name !== "string" || s.name.trim() === "") problems.push(`${where}[${i}].name is required; ${fix}`);
        if (typeof s?.type !== "string" || s.type.trim() === "") problems.push(`${where}[${i}].type is required (slack, teams, log, ...); ${fix}`);
    });
    return value as AlertSink[];
}
