/**
 * Physical names fixed up front, because each cloud needs a name from the other before either exists: the Function
 * App's settings carry the AWS role's ARN, and that role's trust policy pins the Function App's identity.
 */
export interface DeploymentNames {
    table: string;
    watcherFunction: string;
    bridgeRole: string;
}

export function deploymentNames(stack: string): DeploymentNames {
    // IAM role names are at most 64 characters; Lambda function names at most 64.
    const clip = (s: string) => s.slice(0, 64);
    return {
        table: `pimbridge-${stack}`,
        watcherFunction: clip(`pimbridge-watcher-${stack}`),
        bridgeRole: clip(`pimbridge-bridge-${stack}`),
    };
}
