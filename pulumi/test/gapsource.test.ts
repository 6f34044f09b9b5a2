import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { validConfig, sourceOf, settingsWith, promiseOf, fakeArchive, testPrincipalId, registered } from "./mocks";
import { readSettings, StackSettingsError } from "../src/settings";
import { engineConfig, engineSecretEnvironment } from "../src/engineConfig";
import { PimBridgeAws } from "../src/aws";
import { deploymentNames } from "../src/names";
import { ssoUnscopedActions } from "../src/policy";
import { actionsTheCodeCalls } from "./codeActions";

// The gap detector's S3 organization-trail source (pimbridge:gapsSource s3) next to the default lookup-events one.

const keyArn = "arn:aws:kms:eu-central-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab";
/** An organization trail with a prefix and an SSE-KMS key in the log-archive account; no audit role settings. */
const s3Config = {
    gapsSource: "s3", gapsTrailBucket: "org-cloudtrail-logs", gapsTrailPrefix: "/cloudtrail/", gapsOrganizationId: "o-a1b2c3d4e5",
    gapsTrailKmsKeyArn: keyArn, auditRoleName: undefined,
};
/** The folders of the audited accounts: the Identity Center account and every mapped or watched one. */
const auditedAccounts = ["111122223333", "222233334444", "555566667777", "888899990000"];

function problemsOf(overrides: Record<string, string | undefined>, secrets?: Record<string, string | undefined>): string[] {
    try {
        readSettings(sourceOf({ ...validConfig, ...overrides }, secrets));
    } catch (e) {
        assert.ok(e instanceof StackSettingsError, `expected a StackSettingsError, got ${e}`);
        return e.problems;
    }
    assert.fail("the settings were accepted");
}

type Statement = { Sid: string; Effect: string; Action: string[]; Resource: string | string[]; Condition?: any; Principal?: any };
const statementsOf = async (policy: unknown): Promise<Statement[]> => JSON.parse(await promiseOf(policy as any) as string).Statement;
const resources = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

const names = deploymentNames("prod");
const s3Stack = new PimBridgeAws("s3k", { settings: settingsWith(s3Config), names, watcherCode: fakeArchive(), bridgePrincipalId: testPrincipalId });
const plainS3Stack = new PimBridgeAws("s3p", {
    settings: settingsWith({ gapsSource: "s3", gapsTrailBucket: "acct-trail", auditRoleName: undefined }),
    names: deploymentNames("plain"), watcherCode: fakeArchive(), bridgePrincipalId: testPrincipalId,
});
const lookupStack = new PimBridgeAws("lk", { settings: settingsWith(), names: deploymentNames("lookup"), watcherCode: fakeArchive(), bridgePrincipalId: testPrincipalId });

test("the gap source defaults to lookup-events, which requires the audit role", () => {
    const s = settingsWith();
    assert.deepEqual(s.gapSource, { type: "lookup-events", auditRoleName: "PimBridgeAudit", auditExternalId: undefined });
    assert.deepEqual(s.gapsRegions, ["eu-west-1"]);
    const [problem, ...rest] = problemsOf({ auditRoleName: undefined });
    assert.equal(rest.length, 0);
    assert.match(problem, /^pimbridge:auditRoleName is required with pimbridge:gapsSource lookup-events/);
    assert.match(problem, /`pulumi config set pimbridge:auditRoleName PimBridgeAudit`/);
});

test("the s3 source needs no audit role, normalises the prefix and reads every Region folder unless told", () => {
    const s = settingsWith(s3Config);
    assert.deepEqual(s.gapSource, { type: "s3", bucket: "org-cloudtrail-logs", prefix: "cloudtrail", organizationId: "o-a1b2c3d4e5", kmsKeyArn: keyArn });
    assert.deepEqual(s.gapsRegions, [], "no Regions: the engine discovers the trail's Region folders");
    assert.deepEqual(settingsWith({ ...s3Config, gapsRegions: `["us-east-1"]` }).gapsRegions, ["us-east-1"]);
    const minimal = settingsWith({ gapsSource: "s3", gapsTrailBucket: "acct-trail", auditRoleName: undefined }).gapSource;
    assert.deepEqual(minimal, { type: "s3", bucket: "acct-trail", prefix: undefined, organizationId: undefined, kmsKeyArn: undefined });
});

test("each invalid gap source setting names its key, what is wrong and the command that fixes it", () => {
    const cases: [Record<string, string | undefined>, RegExp][] = [
        [{ gapsSource: "cloudtrail" }, /^pimbridge:gapsSource must be lookup-events .* or s3 .*\(got "cloudtrail"\)/],
        [{ gapsSource: "directory" }, /^pimbridge:gapsSource must be lookup-events/],
        [{ ...s3Config, gapsTrailBucket: undefined }, /^pimbridge:gapsTrailBucket is required with pimbridge:gapsSource s3/],
        [{ ...s3Config, gapsTrailBucket: "s3://org-cloudtrail-logs" }, /^pimbridge:gapsTrailBucket must look like a bare S3 bucket name .*\(got "s3:\/\/org-cloudtrail-logs"\)/],
        [{ ...s3Config, gapsTrailBucket: "Org_Trail" }, /^pimbridge:gapsTrailBucket must look like a bare S3 bucket name/],
        [{ ...s3Config, gapsTrailBucket: "ab" }, /^pimbridge:gapsTrailBucket must look like a bare S3 bucket name/],
        [{ ...s3Config, gapsTrailBucket: "org..trail" }, /^pimbridge:gapsTrailBucket must look like a bare S3 bucket name/],
        [{ ...s3Config, gapsTrailBucket: "arn:aws:s3:::org-trail" }, /^pimbridge:gapsTrailBucket must look like a bare S3 bucket name/],
        [{ ...s3Config, gapsOrganizationId: "o-123" }, /^pimbridge:gapsOrganizationId must look like an AWS Organizations id .*\(got "o-123"\)/],
        [{ ...s3Config, gapsOrganizationId: "123456789012" }, /^pimbridge:gapsOrganizationId must look like an AWS Organizations id/],
        [{ ...s3Config, gapsTrailKmsKeyArn: "arn:aws:kms:eu-central-1:444455556666:alias/cloudtrail" }, /^pimbridge:gapsTrailKmsKeyArn must look like a KMS key ARN/],
        [{ ...s3Config, gapsTrailKmsKeyArn: "1234abcd-12ab-34cd-56ef-1234567890ab" }, /^pimbridge:gapsTrailKmsKeyArn must look like a KMS key ARN/],
        [{ ...s3Config, gapsTrailPrefix: "cloudtrail/AWSLogs" }, /^pimbridge:gapsTrailPrefix includes AWSLogs/],
        [{ ...s3Config, gapsTrailPrefix: "s3://org-cloudtrail-logs/cloudtrail" }, /^pimbridge:gapsTrailPrefix is a URL/],
        [{ ...s3Config, gapsTrailPrefix: "trails/*" }, /^pimbridge:gapsTrailPrefix must be an S3 key prefix/],
        [{ ...s3Config, auditRoleOrganizationalUnitIds: `["ou-ab12-cdefgh34"]` }, /^pimbridge:auditRoleOrganizationalUnitIds deploys the LookupEvents audit role, which pimbridge:gapsSource s3 does not use; remove it with `pulumi config rm pimbridge:auditRoleOrganizationalUnitIds`/],
        // A source's settings are checked even while the other source is chosen, so a typo shows before the switch.
        [{ gapsTrailBucket: "Bad_Bucket" }, /^pimbridge:gapsTrailBucket must look like a bare S3 bucket name/],
    ];
    for (const [override, expected] of cases) {
        const problems = problemsOf(override);
        assert.equal(problems.length, 1, `${JSON.stringify(override)} gave ${problems.join(" | ")}`);
        assert.match(problems[0], expected);
        assert.match(problems[0], /pulumi config (set|rm) pimbridge:/);
    }
});

test("every gap source problem is reported at once", () => {
    const problems = problemsOf({ gapsSource: "s3", auditRoleName: undefined, gapsOrganizationId: "org", gapsTrailKmsKeyArn: "key", gapsTrailPrefix: "AWSLogs/" });
    assert.deepEqual(problems.map(p => p.split(" ")[0]),
        ["pimbridge:gapsTrailBucket", "pimbridge:gapsTrailPrefix", "pimbridge:gapsOrganizationId", "pimbridge:gapsTrailKmsKeyArn"]);
    assert.ok(problems.every(p => /`pulumi config set pimbridge:\w+ \S+`$/.test(p)), problems.join("\n"));
});

test("the settings accept and refuse the same bucket and organization ids as the engine", () => {
    // Read the engine's own checks (src/PimBridge.Aws/Trails/TrailSources.cs), so a deployment the settings accept is one the engine starts with.
    const cs = fs.readFileSync(path.resolve(__dirname, "../../src/PimBridge.Aws/Trails/TrailSources.cs"), "utf8");
    const engineRegex = (name: string) => new RegExp(new RegExp(`GeneratedRegex\\(@"([^"]+)"\\)\\]\\s+private static partial Regex ${name}\\(`).exec(cs)![1]);
    const bucket = engineRegex("BucketName"), organization = engineRegex("OrganizationId");
    for (const name of ["org-cloudtrail-logs", "a.b-c", "123", "ab", "Org-Logs", "-logs", "logs-", "s3://logs", "x".repeat(64)]) {
        const accepted = problemsOf({ ...s3Config, gapsTrailBucket: name, gapsOrganizationId: "bad" }).length === 1;
        assert.equal(accepted, bucket.test(name), `bucket "${name}": the settings ${accepted ? "accept" : "refuse"} it, the engine does not`);
    }
    for (const id of ["o-a1b2c3d4e5", "o-" + "a".repeat(32), "o-" + "a".repeat(33), "o-abc", "o-A1B2C3D4E5", "a1b2c3d4e5"]) {
        const accepted = problemsOf({ ...s3Config, gapsOrganizationId: id, gapsTrailBucket: "BAD" }).length === 1;
        assert.equal(accepted, organization.test(id), `organization "${id}": the settings ${accepted ? "accept" : "refuse"} it, the engine does not`);
    }
});

test("the watcher's engine file names the S3 trail, with only GapSourceOptions' own members", () => {
    const config = engineConfig(settingsWith(s3Config), "watcher") as any;
    assert.deepEqual(config.Gaps, {
        Interval: "5m",
        Source: { Type: "s3", Bucket: "org-cloudtrail-logs", Prefix: "cloudtrail", OrganizationId: "o-a1b2c3d4e5", IdentityCenterAccountId: "111122223333", Regions: [] },
    });
    const minimal = engineConfig(settingsWith({ gapsSource: "s3", gapsTrailBucket: "acct-trail", auditRoleName: undefined, gapsRegions: `["eu-west-1"]` }), "watcher") as any;
    assert.deepEqual(minimal.Gaps.Source, { Type: "s3", Bucket: "acct-trail", IdentityCenterAccountId: "111122223333", Regions: ["eu-west-1"] });
    const lookup = engineConfig(settingsWith(), "watcher") as any;
    assert.deepEqual(lookup.Gaps.Source, { Type: "lookup-events", AuditRoleName: "PimBridgeAudit", IdentityCenterAccountId: "111122223333", Regions: ["eu-west-1"] });

    // A misspelt member would be ignored by the engine's binder: every one must be a GapSourceOptions property.
    const cs = fs.readFileSync(path.resolve(__dirname, "../../src/PimBridge.Core/Configuration/GapSourceOptions.cs"), "utf8");
    const body = /class GapSourceOptions\s*\{([\s\S]*?)\n\}/.exec(cs)![1];
    const members = new Set([...body.matchAll(/public [\w<>?]+ (\w+) \{ get; set; \}/g)].map(m => m[1]));
    assert.ok(members.has("Bucket") && members.has("OrganizationId"), `GapSourceOptions members not found: ${[...members]}`);
    for (const member of [...Object.keys(config.Gaps.Source), ...Object.keys(lookup.Gaps.Source)])
        assert.ok(members.has(member), `Gaps.Source.${member} is not a GapSourceOptions property`);

    assert.equal(engineConfig(settingsWith(s3Config), "function").Gaps, undefined, "the gap detector runs in the watcher only");
    const env = engineSecretEnvironment(settingsWith(s3Config), "watcher");
    assert.equal(env.PIMBRIDGE_Gaps__Source__ExternalId, undefined, "the s3 source assumes no audit role");
});

test("with s3 the watcher policy grants exactly the calls of the engine and the S3 trail source, on the trail's CloudTrail folders", async () => {
    const statements = await statementsOf(s3Stack.watcherPolicy.policy);
    const calls = actionsTheCodeCalls();
    assert.deepEqual([...calls.s3Trail].sort(), ["s3:GetObject", "s3:ListBucket"], "S3TrailSource's calls were not found");
    const granted = statements.flatMap(s => s.Action);
    // kms:Decrypt is no SDK call: S3 decrypts an SSE-KMS file with the caller's permission on the key.
    assert.deepEqual([...new Set(granted)].sort(),
        [...calls.engine, ...calls.s3Trail, "kms:Decrypt", "logs:CreateLogStream", "logs:PutLogEvents"].sort());
    assert.equal(granted.length, new Set(granted).size, "an action is granted twice");
    for (const action of calls.lookupEvents) assert.ok(!granted.includes(action), `${action} is granted, but the s3 source does not call it`);
    for (const s of statements)
        if (resources(s).includes("*")) assert.deepEqual(s.Action, ssoUnscopedActions, `${s.Sid} grants ${s.Action} on "*"`);

    const list = statements.filter(s => s.Action.includes("s3:ListBucket"));
    assert.equal(list.length, 1);
    assert.deepEqual(list[0].Resource, ["arn:aws:s3:::org-cloudtrail-logs"]);
    assert.deepEqual(list[0].Condition, { StringLike: { "s3:prefix": ["cloudtrail/AWSLogs/o-a1b2c3d4e5/*/CloudTrail/*"] } });
    assert.deepEqual(statements.filter(s => s.Action.includes("s3:GetObject")).flatMap(resources),
        ["arn:aws:s3:::org-cloudtrail-logs/cloudtrail/AWSLogs/o-a1b2c3d4e5/*/CloudTrail/*"]);
    // What the source lists and gets (Region discovery, a day folder, a log file) matches; digests and other logs do not.
    const like = (pattern: string, value: string) => new RegExp(`^${pattern.split("*").map(p => p.replace(/[.?+^$()[\]{}|\\/]/g, "\\$&")).join(".*")}$`).test(value);
    const prefixes: string[] = list[0].Condition.StringLike["s3:prefix"];
    for (const account of auditedAccounts) {
        for (const listed of [`cloudtrail/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/`, `cloudtrail/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/eu-west-1/2026/11/22/`])
            assert.ok(prefixes.some(p => like(p, listed)), `listing ${listed} is not allowed`);
        const file = `arn:aws:s3:::org-cloudtrail-logs/cloudtrail/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/eu-west-1/2026/11/22/${account}_CloudTrail_eu-west-1_20261122T0905Z_abc.json.gz`;
        assert.ok(statements.some(s => s.Action.includes("s3:GetObject") && resources(s).some(r => like(r, file))), `getting ${file} is not allowed`);
    }
    for (const other of ["cloudtrail/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail-Digest/eu-west-1/", "cloudtrail/AWSLogs/o-a1b2c3d4e5/111122223333/Config/", "", "other/"])
        assert.ok(!prefixes.some(p => like(p, other)), `listing "${other}" is allowed`);
    const decrypt = statements.filter(s => s.Action.includes("kms:Decrypt"));
    assert.equal(decrypt.length, 1);
    assert.deepEqual(decrypt[0].Resource, [keyArn]);
    // The key is in the bucket's Region, eu-central-1, not the Identity Center Region: S3 there calls KMS.
    assert.deepEqual(decrypt[0].Condition, { StringEquals: { "kms:ViaService": "s3.eu-central-1.amazonaws.com" } });
});

test("a trail without prefix, organization or key is read from AWSLogs/<account>/CloudTrail/ with no KMS grant", async () => {
    const statements = await statementsOf(plainS3Stack.watcherPolicy.policy);
    assert.ok(!statements.some(s => s.Action.some(a => a.startsWith("kms:"))), "kms:Decrypt without a KMS key");
    assert.deepEqual(statements.filter(s => s.Action.includes("s3:GetObject")).flatMap(resources), ["arn:aws:s3:::acct-trail/AWSLogs/*/CloudTrail/*"]);
    assert.deepEqual(statements.find(s => s.Action.includes("s3:ListBucket"))!.Condition.StringLike["s3:prefix"], ["AWSLogs/*/CloudTrail/*"]);
});

test("with s3 the bridge gets no trail access, and no audit role or StackSet is made", async () => {
    const bridge = await statementsOf(s3Stack.bridgePolicy.policy);
    assert.ok(!bridge.some(s => s.Action.some(a => /^(s3|kms|cloudtrail|sts):/.test(a))), "the bridge does not run the gap detector");
    assert.equal(s3Stack.auditRoleTemplate, undefined);
    assert.equal(s3Stack.auditRoleStackSet, undefined);
    await promiseOf(s3Stack.watcher.id);
    assert.ok(!registered.some(r => r.type.startsWith("aws:cloudformation/") && r.name.startsWith("s3k-")), "a StackSet was registered for the s3 source");
    const env = (await promiseOf(s3Stack.watcher.environment))!.variables!;
    assert.equal(JSON.parse(env.PIMBRIDGE_CONFIG_JSON).Gaps.Source.Type, "s3");
});

test("the trail owner's bucket and key policy statements allow the watcher role exactly what its own policy grants", async () => {
    const roleArn = await promiseOf(s3Stack.watcherRole.arn);
    const bucketPolicy: Statement[] = JSON.parse(await promiseOf(s3Stack.trailBucketPolicyStatements!));
    const own = await statementsOf(s3Stack.watcherPolicy.policy);
    assert.equal(bucketPolicy.length, 2);
    for (const s of bucketPolicy) {
        assert.deepEqual(s.Principal, { AWS: roleArn });
        const match = own.find(o => o.Action.join() === s.Action.join());
        assert.ok(match, `${s.Action} is not in the watcher's policy`);
        assert.deepEqual([s.Resource, s.Condition], [match.Resource, match.Condition]);
    }
    const keyPolicy: Statement[] = JSON.parse(await promiseOf(s3Stack.trailKeyPolicyStatements!));
    assert.deepEqual(keyPolicy, [{
        Sid: "PimBridgeWatcherDecryptTrail", Effect: "Allow", Action: ["kms:Decrypt"], Resource: "*", Principal: { AWS: roleArn },
        Condition: { StringEquals: { "kms:ViaService": "s3.eu-central-1.amazonaws.com" } },
    }]);
    assert.equal(plainS3Stack.trailKeyPolicyStatements, undefined, "no key, no key policy statements");
    assert.ok(plainS3Stack.trailBucketPolicyStatements);
});

test("lookup-events is unchanged: LookupEvents through the audit roles, no trail bucket, the audit role template", async () => {
    const statements = await statementsOf(lookupStack.watcherPolicy.policy);
    const granted = statements.flatMap(s => s.Action);
    assert.ok(granted.includes("cloudtrail:LookupEvents") && granted.includes("sts:AssumeRole"));
    assert.ok(!granted.some(a => a.startsWith("s3:") || a.startsWith("kms:")));
    assert.deepEqual(statements.find(s => s.Action.includes("sts:AssumeRole"))!.Resource,
        auditedAccounts.map(a => `arn:aws:iam::${a}:role/PimBridgeAudit`));
    assert.equal(lookupStack.trailBucketPolicyStatements, undefined);
    assert.equal(lookupStack.trailKeyPolicyStatements, undefined);
    const template = JSON.parse(await promiseOf(lookupStack.auditRoleTemplate!));
    assert.equal(template.Resources.AuditRole.Properties.RoleName, "PimBridgeAudit");
});
