import * as fs from "fs";
import * as path from "path";

/**
 * The IAM actions PimBridge calls, read from its C# sources rather than from the program, so a policy that grants
 * anything the code does not call (or misses something it does) fails. Split by who needs them: every engine, and the
 * gap detector with each of its sources.
 */
export interface ActionsTheCodeCalls {
    /** Identity Center, the identity store and the state table: the watcher and the bridge. */
    engine: Set<string>;
    /** The lookup-events source: CloudTrail through the assumed audit roles. */
    lookupEvents: Set<string>;
    /** The s3 source: the trail bucket. */
    s3Trail: Set<string>;
}

/**
 * S3's IAM actions are not named after its operations; an operation the source starts calling fails here until it
 * is added (and granted).
 */
const s3ActionOfOperation: Record<string, string> = {
    ListObjectsV2: "s3:ListBucket",
    GetObject: "s3:GetObject",
};

const read = (file: string) => fs.readFileSync(path.resolve(__dirname, "../../src", file), "utf8");

export function actionsTheCodeCalls(): ActionsTheCodeCalls {
    const sent = (file: string) => [...read(file).matchAll(/(?:SendAsync|StartAssignmentOperationAsync)\("([A-Za-z]+)"/g)].map(m => m[1]);
    const engine = new Set<string>([
        ...sent("PimBridge.Aws/SsoAdmin/SsoAdminClient.cs").map(op => `sso:${op}`),
        ...sent("PimBridge.Aws/IdentityStore/IdentityStoreClient.cs").map(op => `identitystore:${op}`),
    ]);
    // The store's runtime calls go through its units' _client fields; the table setup's static calls (client.…) do not.
    const store = "PimBridge.Store.DynamoDb";
    for (const file of fs.readdirSync(path.resolve(__dirname, "../../src", store)).filter(f => f.endsWith(".cs")))
        for (const m of read(`${store}/${file}`).matchAll(/_client\.([A-Za-z]+)Async\(/g))
            // IAM has no TransactWriteItems action: each Put in a transaction is authorised as PutItem (the store only Puts).
            engine.add(m[1] === "TransactWriteItems" ? "dynamodb:PutItem" : `dynamodb:${m[1]}`);

    const lookupEvents = new Set<string>(sent("PimBridge.Aws/CloudTrail/CloudTrailClient.cs").map(op => `cloudtrail:${op}`));
    if (/\.AssumeRoleAsync\(/.test(read("PimBridge.Aws/Trails/AuditRoleCredentials.cs"))) lookupEvents.add("sts:AssumeRole");

    const s3Trail = new Set<string>();
    for (const m of read("PimBridge.Aws/Trails/S3TrailSource.cs").matchAll(/_s3\.([A-Za-z0-9]+)Async\(/g)) {
        const action = s3ActionOfOperation[m[1]];
        if (action === undefined) throw new Error(`S3TrailSource calls S3 ${m[1]}, which this test cannot map to an IAM action: add it to s3ActionOfOperation and grant it`);
        s3Trail.add(action);
    }
    return { engine, lookupEvents, s3Trail };
}
