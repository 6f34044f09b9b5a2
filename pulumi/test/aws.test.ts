import { test } from "node:test";
import * as assert from "node:assert/strict";
import { registered, settingsWith, promiseOf, fakeArchive, testPrincipalId } from "./mocks";
import { PimBridgeAws, stateTableSchema } from "../src/aws";
import { deploymentNames } from "../src/names";
import { ssoUnscopedActions, cloudTrailActions } from "../src/policy";
import { actionsTheCodeCalls } from "./codeActions";

const lambdaLogActions = ["logs:CreateLogStream", "logs:PutLogEvents"];

const settings = settingsWith({ watcherSchedule: "rate(5 minutes)", logRetentionDays: "90", alarmTopicArn: "arn:aws:sns:eu-west-1:111122223333:alarms",
    auditRoleOrganizationalUnitIds: `["ou-ab12-cdefgh34"]`, auditExternalId: "ext-123" });
const names = deploymentNames("prod");
const stack = new PimBridgeAws("pb", { settings, names, watcherCode: fakeArchive(), bridgePrincipalId: testPrincipalId });

type Statement = { Sid: string; Effect: string; Action: string[]; Resource: string | string[]; Condition?: any };
const policyOf = async (policy: import("@pulumi/pulumi").Output<string>): Promise<Statement[]> => JSON.parse(await promiseOf(policy)).Statement;
const resources = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

test("the state table mirrors DynamoDbStateStore's schema", async () => {
    const t = stack.table;
    assert.equal(await promiseOf(t.name), "pimbridge-prod");
    assert.equal(await promiseOf(t.hashKey), "pk");
    assert.equal(await promiseOf(t.rangeKey), "sk");
    assert.deepEqual(await promiseOf(t.attributes), ["pk", "sk", "due_kind", "due_at", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"].map(name => ({ name, type: "S" })));
    const gsis = await promiseOf(t.globalSecondaryIndexes);
    assert.deepEqual(gsis, [
        { name: "due", hashKey: "due_kind", rangeKey: "due_at", projectionType: "KEYS_ONLY" },
        { name: "gsi1", hashKey: "gsi1pk", rangeKey: "gsi1sk", projectionType: "INCLUDE", nonKeyAttributes: ["mapping", "principal_id", "group_id", "access", "start_at", "end_at"] },
        { name: "gsi2", hashKey: "gsi2pk", rangeKey: "gsi2sk", projectionType: "KEYS_ONLY" },
    ]);
    assert.deepEqual(await promiseOf(t.ttl), { attributeName: "expires_at", enabled: true });
    assert.equal(await promiseOf(t.billingMode), "PAY_PER_REQUEST");
    assert.deepEqual(await promiseOf(t.pointInTimeRecovery), { enabled: true });
    assert.deepEqual(await promiseOf(t.serverSideEncryption), { enabled: true });
    assert.equal(await promiseOf(t.deletionProtectionEnabled), true);
});

test("the table schema constant matches the store's C# schema source", async () => {
    // Read the C# so that a change to the store's indexes fails here instead of at runtime in AWS.
    const fs = await import("fs");
    const path = await import("path");
    const cs = fs.readFileSync(path.resolve(__dirname, "../../src/PimBridge.Store.DynamoDb/DynamoDbSchema.cs"), "utf8");
    const constant = (name: string) => new RegExp(`const string ${name} = "([^"]+)"`).exec(cs)?.[1];
    assert.equal(constant("Pk"), stateTableSchema.hashKey);
    assert.equal(constant("Sk"), stateTableSchema.rangeKey);
    assert.equal(constant("ExpiresAt"), stateTableSchema.ttlAttribute);
    assert.deepEqual([constant("DueIndex"), constant("LookupIndex"), constant("ListingIndex")], stateTableSchema.globalSecondaryIndexes.map(g => g.name));
    assert.deepEqual([constant("DueKind"), constant("DueAt"), constant("Gsi1Pk"), constant("Gsi1Sk"), constant("Gsi2Pk"), constant("Gsi2Sk")],
        stateTableSchema.globalSecondaryIndexes.flatMap(g => [g.hashKey, g.rangeKey]));
    assert.deepEqual(["GrantMapping", "GrantPrincipalId", "GrantGroupId", "GrantAccess", "GrantStart", "GrantEnd"].map(constant),
        stateTableSchema.globalSecondaryIndexes[1].nonKeyAttributes);
});

test("the watcher is a provided.al2023 Lambda with its settings and the table in its environment", async () => {
    const w = stack.watcher;
    assert.equal(await promiseOf(w.runtime), "provided.al2023");
    // The package is over the 50 MB direct-upload limit: it must come from the private artifacts bucket.
    assert.equal(await promiseOf(w.s3Key), "watcher/pimbridge-watcher.zip");
    assert.equal(await promiseOf(w.s3Bucket), await promiseOf(stack.artifacts.id));
    assert.equal(await promiseOf(w.code), undefined);
    assert.equal(await promiseOf(w.handler), "bootstrap");
    assert.equal(await promiseOf(w.name), "pimbridge-watcher-prod");
    assert.equal(await promiseOf(w.memorySize), 512);
    assert.equal(await promiseOf(w.timeout), 60);
    const env = (await promiseOf(w.environment))!.variables!;
    assert.equal(env.PimBridge__Store, "dynamodb");
    assert.equal(env.PimBridge__DynamoDbTable, "pimbridge-prod");
    assert.equal(env.PimBridge__DynamoDbRegion, "eu-west-1");
    const engine = JSON.parse(env.PIMBRIDGE_CONFIG_JSON);
    assert.deepEqual(engine.IdentityCenter, { InstanceArn: "arn:aws:sso:::instance/ssoins-0123456789abcdef", IdentityStoreId: "d-1234567890", Region: "eu-west-1" });
    assert.deepEqual(engine.Mappings, [
        { Name: "prod-admin", EntraGroupId: "11111111-1111-1111-1111-111111111111", MaxDuration: "4h",
            AccountAssignments: { PermissionSet: "AdministratorAccess", Accounts: ["222233334444", "555566667777"] } },
        { Name: "platform", EntraGroupId: "22222222-2222-2222-2222-222222222222", IdentityCenterGroup: { DisplayName: "Platform Engineers" } },
    ]);
    assert.deepEqual(engine.Gaps, { Interval: "5m", Source: { Type: "lookup-events", AuditRoleName: "PimBridgeAudit", IdentityCenterAccountId: "111122223333", Regions: ["eu-west-1"] } });
    assert.deepEqual(engine.Notifications.Sinks.map((s: any) => s.Type), ["slack", "log"]);
    assert.equal(engine.Entra, undefined, "the watcher does not talk to Graph");
    assert.ok(!env.PIMBRIDGE_CONFIG_JSON.includes("hooks.slack.com") && !env.PIMBRIDGE_CONFIG_JSON.includes("ext-123"), "a secret is in the engine file");
    // Secrets travel as PIMBRIDGE_ overrides.
    assert.equal(env.PIMBRIDGE_Gaps__Source__ExternalId, "ext-123");
    assert.equal(env.PIMBRIDGE_Notifications__Sinks__0__Url, "https://hooks.slack.com/services/T/B/x");
    assert.equal(env.PIMBRIDGE_Notifications__Sinks__1__Url, undefined, "a log sink has no URL");
    assert.equal(env.PIMBRIDGE_Entra__Subscriptions__ClientState, undefined);
});

test("the log group keeps the configured retention under the Lambda's own name", async () => {
    assert.equal(await promiseOf(stack.logGroup.name), "/aws/lambda/pimbridge-watcher-prod");
    assert.equal(await promiseOf(stack.logGroup.retentionInDays), 90);
});

test("the schedule runs the watcher at the configured rate through a role that may only invoke it", async () => {
    assert.equal(await promiseOf(stack.schedule.scheduleExpression), "rate(5 minutes)");
    const target = (await promiseOf(stack.schedule.target))!;
    assert.equal(target.arn, await promiseOf(stack.watcher.arn));
    assert.equal(target.roleArn, await promiseOf(stack.schedulerRole.arn));
    const statements = await policyOf(stack.schedulerPolicy.policy as any);
    assert.deepEqual(statements.map(s => [s.Action, s.Resource]), [[["lambda:InvokeFunction"], [await promiseOf(stack.watcher.arn)]]]);
    const trust = JSON.parse(await promiseOf(stack.schedulerRole.assumeRolePolicy as any));
    assert.equal(trust.Statement[0].Principal.Service, "scheduler.amazonaws.com");
});

test("the default schedule is every minute", () => {
    assert.equal(settingsWith().watcher.schedule, "rate(1 minute)");
});

test("the watcher policy allows only the actions PimBridge calls, each on the narrowest resource AWS supports", async () => {
    const statements = await policyOf(stack.watcherPolicy.policy as any);
    const tableArn = await promiseOf(stack.table.arn);
    const calls = actionsTheCodeCalls();
    const called = new Set([...calls.engine, ...calls.lookupEvents]);
    assert.ok(called.size >= 25, `only ${called.size} operations found in the C# sources: the pattern no longer matches them`);
    const granted = statements.flatMap(s => s.Action);
    assert.deepEqual([...new Set(granted)].sort(), [...called, ...lambdaLogActions].sort(), "the policy must grant exactly the actions the code calls");
    assert.ok(!granted.some(a => a.startsWith("s3:") || a.startsWith("kms:")), "the lookup-events source reads no trail bucket");
    assert.equal(granted.length, new Set(granted).size, "an action is granted twice");
    for (const s of statements) {
        assert.equal(s.Effect, "Allow");
        assert.ok(!s.Action.some(a => a.includes("*")), `${s.Sid} uses a wildcard action`);
        // "*" only where IAM has no resource type for the action.
        if (resources(s).includes("*"))
            assert.ok(s.Action.every(a => [...ssoUnscopedActions, ...cloudTrailActions].includes(a)), `${s.Sid} grants ${s.Action} on "*"`);
    }
    const byAction = (action: string) => statements.filter(s => s.Action.includes(action)).flatMap(resources);
    assert.deepEqual(byAction("sso:CreateAccountAssignment"), [
        "arn:aws:sso:::instance/ssoins-0123456789abcdef",
        "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/*",
        "arn:aws:sso:::account/222233334444", "arn:aws:sso:::account/555566667777", "arn:aws:sso:::account/888899990000",
    ]);
    assert.deepEqual(byAction("identitystore:CreateGroupMembership"), [
        "arn:aws:identitystore::111122223333:identitystore/d-1234567890",
        "arn:aws:identitystore:::user/*", "arn:aws:identitystore:::group/*", "arn:aws:identitystore:::membership/*",
    ]);
    assert.deepEqual(byAction("sts:AssumeRole"), ["111122223333", "222233334444", "555566667777", "888899990000"]
        .map(a => `arn:aws:iam::${a}:role/PimBridgeAudit`));
    assert.deepEqual(byAction("dynamodb:PutItem"), [tableArn, `${tableArn}/index/*`]);
    assert.deepEqual(byAction("logs:PutLogEvents"), [`${await promiseOf(stack.logGroup.arn)}:*`]);
    assert.deepEqual(byAction("cloudtrail:LookupEvents"), ["*"]);
});

test("the bridge role trusts only the Function App's managed identity, pinning audience and subject", async () => {
    assert.equal(await promiseOf(stack.oidcProvider.url), "https://sts.windows.net/8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e/");
    assert.deepEqual(await promiseOf(stack.oidcProvider.clientIdLists), ["api://AzureADTokenExchange"]);
    assert.equal(await promiseOf(stack.bridgeRole.name), "pimbridge-bridge-prod");
    const trust = JSON.parse(await promiseOf(stack.bridgeRole.assumeRolePolicy as any));
    assert.equal(trust.Statement.length, 1);
    const [s] = trust.Statement;
    assert.equal(s.Action, "sts:AssumeRoleWithWebIdentity");
    assert.equal(s.Principal.Federated, await promiseOf(stack.oidcProvider.arn));
    assert.deepEqual(s.Condition, { StringEquals: {
        "sts.windows.net/8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e/:aud": "api://AzureADTokenExchange",
        "sts.windows.net/8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e/:sub": testPrincipalId,
    } });
    const statements = await policyOf(stack.bridgePolicy.policy as any);
    const called = actionsTheCodeCalls().engine;
    for (const action of statements.flatMap(x => x.Action)) assert.ok(called.has(action), `${action} is not an action the bridge's engine calls`);
    assert.ok(!statements.some(x => x.Action.includes("sts:AssumeRole") || x.Action.includes("cloudtrail:LookupEvents")),
        "the bridge does not run the gap detector");
});

test("alarms fire on Lambda errors, reported errors and any critical gap alert", async () => {
    const fn = await promiseOf(stack.watcher.name);
    const check = async (alarm: import("@pulumi/aws").cloudwatch.MetricAlarm, namespace: string, metric: string, dimensions: Record<string, string>) => {
        assert.equal(await promiseOf(alarm.namespace), namespace);
        assert.equal(await promiseOf(alarm.metricName), metric);
        assert.deepEqual(await promiseOf(alarm.dimensions), dimensions);
        assert.equal(await promiseOf(alarm.threshold), 1);
        assert.equal(await promiseOf(alarm.comparisonOperator), "GreaterThanOrEqualToThreshold");
        assert.deepEqual(await promiseOf(alarm.alarmActions), ["arn:aws:sns:eu-west-1:111122223333:alarms"]);
    };
    await check(stack.errorsAlarm, "AWS/Lambda", "Errors", { FunctionName: fn });
    await check(stack.watcherErrorsAlarm, "PimBridge", "WatcherErrors", { Function: fn });
    await check(stack.criticalGapAlarm, "PimBridge", "CriticalGapAlerts", { Function: fn });
});

test("the audit-role StackSet deploys a LookupEvents-only role trusting the watcher role", async () => {
    assert.ok(stack.auditRoleStackSet && stack.auditRoleStackSetInstance);
    assert.equal(await promiseOf(stack.auditRoleStackSet.permissionModel), "SERVICE_MANAGED");
    assert.deepEqual(await promiseOf(stack.auditRoleStackSetInstance.deploymentTargets), { organizationalUnitIds: ["ou-ab12-cdefgh34"] });
    const template = JSON.parse(await promiseOf(stack.auditRoleStackSet.templateBody as any));
    const role = template.Resources.AuditRole.Properties;
    assert.equal(role.RoleName, "PimBridgeAudit");
    assert.deepEqual(role.AssumeRolePolicyDocument.Statement[0].Principal, { AWS: await promiseOf(stack.watcherRole.arn) });
    assert.deepEqual(role.AssumeRolePolicyDocument.Statement[0].Condition, { StringEquals: { "sts:ExternalId": "ext-123" } });
    assert.deepEqual(role.Policies.map((p: any) => p.PolicyDocument.Statement), [[{ Effect: "Allow", Action: "cloudtrail:LookupEvents", Resource: "*" }]]);
});

test("every AWS resource is registered", async () => {
    await promiseOf(stack.urn);
    await promiseOf(stack.auditRoleStackSetInstance!.id);
    const types = new Set(registered.map(r => r.type));
    for (const type of ["aws:dynamodb/table:Table", "aws:lambda/function:Function", "aws:scheduler/schedule:Schedule", "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy", "aws:cloudwatch/logGroup:LogGroup", "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws:cloudformation/stackSet:StackSet", "aws:cloudformation/stackSetInstance:StackSetInstance"])
        assert.ok(types.has(type), `${type} was not registered (got ${[...types].join(", ")})`);
});
