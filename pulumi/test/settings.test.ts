import { test } from "node:test";
import * as assert from "node:assert/strict";
import { readSettings, StackSettingsError } from "../src/settings";
import { checkPackages } from "../src/packages";
import { validConfig, sourceOf, settingsWith, promiseOf } from "./mocks";

function problemsOf(overrides: Record<string, string | undefined>, secrets?: Record<string, string | undefined>): string[] {
    try {
        readSettings(sourceOf({ ...validConfig, ...overrides }, secrets));
    } catch (e) {
        assert.ok(e instanceof StackSettingsError, `expected a StackSettingsError, got ${e}`);
        return (e as StackSettingsError).problems;
    }
    assert.fail("the settings were accepted");
}

test("valid settings are read with their defaults", () => {
    const s = settingsWith();
    assert.equal(s.identityCenter.instanceId, "ssoins-0123456789abcdef");
    assert.deepEqual(s.accounts, ["222233334444", "555566667777", "888899990000"]);
    assert.equal(s.watcher.schedule, "rate(1 minute)");
    assert.equal(s.watcher.logRetentionDays, 30);
    assert.equal(s.watcher.packagePath, "../artifacts/pimbridge-watcher.zip");
    assert.equal(s.azure.functionsPackagePath, "../artifacts/functions.zip");
    assert.equal(s.azure.webIdentityAudience, "api://AzureADTokenExchange");
    assert.deepEqual(s.gapsRegions, ["eu-west-1"]);
});

test("a malformed Identity Center instance ARN names the key, the expected shape and the fix", () => {
    const [problem, ...rest] = problemsOf({ identityCenterInstanceArn: "arn:aws:sso:::instance/oops" });
    assert.equal(rest.length, 0);
    assert.match(problem, /^pimbridge:identityCenterInstanceArn must look like arn:aws:sso:::instance\/ssoins-/);
    assert.match(problem, /got "arn:aws:sso:::instance\/oops"/);
    assert.match(problem, /`pulumi config set pimbridge:identityCenterInstanceArn arn:aws:sso:::instance\/ssoins-0123456789abcdef`/);
});

test("Identity Center ids are accepted in every form AWS documents and the engine accepts, and nothing wider", () => {
    // AWS's own patterns: ssoins- or ins- and 16 of [a-zA-Z0-9-.]; d- and 10 of [0-9a-z], or a GUID.
    for (const [arn, instanceId] of [
        ["arn:aws:sso:::instance/ssoins-0123456789abcdef", "ssoins-0123456789abcdef"],
        ["arn:aws:sso:::instance/ssoins-fno3yovsbxthldet", "ssoins-fno3yovsbxthldet"],
        ["arn:aws:sso:::instance/ins-A1b2.C3d4-E5f6Gh", "ins-A1b2.C3d4-E5f6Gh"],
    ]) assert.equal(settingsWith({ identityCenterInstanceArn: arn }).identityCenter.instanceId, instanceId);
    for (const store of ["d-1234567890", "d-y3detpoxlr", "12345678-1234-1234-1234-123456789abc"])
        assert.equal(settingsWith({ identityStoreId: store }).identityCenter.identityStoreId, store);
    for (const arn of ["arn:aws:sso:::instance/ssoins-0123456789abcde", "arn:aws:sso:::instance/ssoins-0123456789abcdef0", "arn:aws:sso:::instance/ssoins-0123456789abcd/f"])
        assert.equal(problemsOf({ identityCenterInstanceArn: arn }).length, 1, arn);
    for (const store of ["d-123456789", "d-Y3DETPOXLR", "store"])
        assert.equal(problemsOf({ identityStoreId: store }).length, 1, store);
});

test("every missing required setting is reported at once", () => {
    let error: unknown;
    try { readSettings(sourceOf({}, {})); } catch (e) { error = e; }
    assert.ok(error instanceof StackSettingsError);
    const text = error.message;
    for (const key of ["identityCenterInstanceArn", "identityStoreId", "identityCenterRegion", "identityCenterAccountId",
        "mappings", "auditRoleName", "azureTenantId", "azureSubscriptionId", "graphClientState", "eventDeliverySecret"])
        assert.match(text, new RegExp(`pimbridge:${key} is required`), `no problem names ${key}:\n${text}`);
    assert.match(text, /pulumi config set --secret pimbridge:graphClientState/);
    assert.match(text, /pulumi config set --secret pimbridge:eventDeliverySecret/);
});

test("invalid values are refused with what is wrong", () => {
    const cases: [Record<string, string>, RegExp][] = [
        [{ identityStoreId: "store" }, /pimbridge:identityStoreId must look like d-<10 letters or digits>/],
        [{ identityCenterRegion: "Ireland" }, /pimbridge:identityCenterRegion must look like an AWS Region/],
        [{ identityCenterAccountId: "12345" }, /pimbridge:identityCenterAccountId must look like a 12-digit AWS account id/],
        [{ auditRoleName: "bad role/name" }, /pimbridge:auditRoleName must look like an IAM role name/],
        [{ azureTenantId: "contoso.onmicrosoft.com" }, /pimbridge:azureTenantId must look like the Entra tenant id/],
        [{ watcherSchedule: "every minute" }, /pimbridge:watcherSchedule must look like rate\(/],
        [{ logRetentionDays: "31" }, /pimbridge:logRetentionDays must be one of CloudWatch Logs' values/],
        [{ watcherTimeoutSeconds: "901" }, /pimbridge:watcherTimeoutSeconds must be a whole number from 1 to 900/],
        [{ watcherMemoryMb: "lots" }, /pimbridge:watcherMemoryMb must be a whole number/],
        [{ watchedAccounts: `["12"]` }, /pimbridge:watchedAccounts must be a JSON list of 12-digit account ids/],
        [{ mappings: "not json" }, /pimbridge:mappings is not valid JSON/],
        [{ mappings: "[]" }, /pimbridge:mappings must be a non-empty JSON list/],
        [{ alarmTopicArn: "my-topic" }, /pimbridge:alarmTopicArn must look like arn:aws:sns:/],
        [{ matchUsersBy: "email" }, /pimbridge:matchUsersBy must be userPrincipalName or mail/],
    ];
    for (const [override, expected] of cases) {
        const problems = problemsOf(override);
        assert.equal(problems.length, 1, `${JSON.stringify(override)} gave ${problems.join(" | ")}`);
        assert.match(problems[0], expected);
        assert.match(problems[0], /pulumi config set/);
    }
});

test("mappings are checked item by item", () => {
    const problems = problemsOf({
        mappings: JSON.stringify([
            { name: "a", entraGroupId: "not-a-guid", accountAssignments: { permissionSet: "X", accounts: ["111122223333"] } },
            { name: "a", entraGroupId: "11111111-1111-1111-1111-111111111111" },
            { name: "b", entraGroupId: "11111111-1111-1111-1111-111111111111", accountAssignments: { permissionSet: "X", accounts: [111122223333] } },
        ]),
    });
    assert.ok(problems.some(p => p.startsWith("pimbridge:mappings[0].entraGroupId must be the Entra group's object id")), problems.join("\n"));
    assert.ok(problems.some(p => p.startsWith(`pimbridge:mappings[1].name "a" is used twice`)), problems.join("\n"));
    assert.ok(problems.some(p => p.startsWith("pimbridge:mappings[1] must have exactly one target")), problems.join("\n"));
    assert.ok(problems.some(p => p.startsWith("pimbridge:mappings[2].accountAssignments.accounts must be a non-empty list of quoted 12-digit")), problems.join("\n"));
    assert.equal(problems.length, 4, problems.join("\n"));
});

test("alert sink URLs must be https URLs of defined sinks, and are never echoed", async () => {
    assert.deepEqual(await promiseOf(settingsWith().alertSinkUrls), { "security-slack": "https://hooks.slack.com/services/T/B/x" });
    const unknown = problemsOf({}, { graphClientState: "x", eventDeliverySecret: "x".repeat(16), alertSinkUrls: JSON.stringify({ nosuch: "https://secret.example/abc" }) });
    assert.deepEqual(unknown.length, 1);
    assert.match(unknown[0], /pimbridge:alertSinkUrls names sinks that pimbridge:alertSinks does not define: nosuch/);
    const plain = problemsOf({}, { graphClientState: "x", eventDeliverySecret: "x".repeat(16), alertSinkUrls: JSON.stringify({ "security-slack": "http://secret.example/abc" }) });
    assert.match(plain[0], /pimbridge:alertSinkUrls must be a JSON object of sink name to https URL/);
    assert.ok(!unknown[0].includes("secret.example") && !plain[0].includes("secret.example"), "a secret URL was echoed");
});

test("the Graph clientState must fit Graph's limit", () => {
    const problems = problemsOf({}, { graphClientState: "x".repeat(129), eventDeliverySecret: "x".repeat(16) });
    assert.match(problems[0], /pimbridge:graphClientState is longer than Graph's 128-character limit/);
});

test("the event delivery secret is required and not guessable", () => {
    for (const secret of [undefined, "", "x".repeat(15)]) {
        const problems = problemsOf({}, { graphClientState: "x", eventDeliverySecret: secret });
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(problems[0], /^pimbridge:eventDeliverySecret is required \(at least 16 characters/);
        assert.match(problems[0], /pulumi config set --secret pimbridge:eventDeliverySecret "\$\(openssl rand -hex 32\)"/);
    }
});

test("missing build outputs name the build script to run", () => {
    const settings = settingsWith();
    assert.throws(() => checkPackages(settings, "/deploy/pulumi", () => false), (e: unknown) => {
        const problems = (e as StackSettingsError).problems;
        assert.equal(problems.length, 2);
        assert.match(problems[0], /\/deploy\/artifacts\/pimbridge-watcher\.zip does not exist; build it with src\/PimBridge\.Lambda\/build-lambda\.sh/);
        assert.match(problems[1], /^pimbridge:functionsPackage: \/deploy\/artifacts\/functions\.zip does not exist; build it with src\/PimBridge\.Functions\/publish-functions\.sh/);
        assert.match(problems[1], /`pulumi config set pimbridge:functionsPackage <path>`/);
        return true;
    });
    const seen: string[] = [];
    checkPackages(settings, "/deploy/pulumi", p => { seen.push(p); return true; });
    assert.deepEqual(seen, ["/deploy/artifacts/pimbridge-watcher.zip", "/deploy/artifacts/functions.zip"]);
});

test("the Function App package must be the built zip, not a folder", () => {
    // The folder was the setting's old value; Pulumi would zip it itself, without Unix modes (pulumi/pulumi#3593).
    for (const folder of ["../artifacts/functions", "../artifacts/functions/", "../artifacts/functions.tar.gz"]) {
        const [problem, ...rest] = problemsOf({ functionsPackage: folder });
        assert.equal(rest.length, 0);
        assert.match(problem, /^pimbridge:functionsPackage must name a \.zip file/);
        assert.ok(problem.includes(`(got "${folder}")`), problem);
        assert.match(problem, /build it with src\/PimBridge\.Functions\/publish-functions\.sh \(it writes artifacts\/functions\.zip\)/);
        assert.match(problem, /`pulumi config set pimbridge:functionsPackage \.\.\/artifacts\/functions\.zip`/);
    }
    assert.equal(settingsWith({ functionsPackage: "/builds/42/functions.zip" }).azure.functionsPackagePath, "/builds/42/functions.zip");
});
