/**
 * The settings the CDK gives the broker (infrastructure/lib/broker-environment.ts) are all understood by the
 * broker's config loader: an unknown or misspelt REPOGATE_* variable would be ignored silently, so each one is
 * checked to land on its setting.
 */
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { describe, expect, it } from "vitest";
import { brokerEnvironment } from "../../infrastructure/lib/broker-environment.ts";
import { parseDeploymentSettings } from "../../infrastructure/lib/settings.ts";
import { ConfigError, loadConfig } from "../../src/config/load.ts";

const settings = parseDeploymentSettings({
  domainName: "repogate.example.com",
  certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
  oidcIssuer: "https://login.microsoftonline.com/tenant/v2.0",
  oidcAudiences: "6f1c1b9e-0000-4000-8000-000000000001",
  oidcScopes: "mcp.tools",
  githubAppId: "123456",
  githubClientId: "Iv23liExample",
  region: "eu-west-1",
  imageTag: "abc123",
});
const runtime = {
  region: "eu-west-1",
  policyFile: "/app/policy.yaml",
  trustProxyHops: 1,
  auditLogGroup: { logGroupName: "/RepogateFargate/audit" } as logs.ILogGroup,
  secrets: {
    apiKeys: { secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:repogate/api-keys-AbC" },
    webhookSecret: { secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:repogate/wh-AbC" },
  } as { apiKeys: secretsmanager.ISecret; webhookSecret: secretsmanager.ISecret },
  redisUrl: "rediss://master.repogate.cache.amazonaws.com:6380",
  extra: { REPOGATE_HOST: "0.0.0.0", REPOGATE_PORT: "8700" },
};

describe("the broker's settings from the deployment", () => {
  it("every REPOGATE_* variable the stack sets lands on its setting", async () => {
    const env = brokerEnvironment(settings, runtime);
    const config = await loadConfig({ env });
    expect(config).toMatchObject({
      publicUrl: "https://repogate.example.com",
      listen: { host: "0.0.0.0", port: 8700 },
      auth: {
        oidc: {
          issuer: "https://login.microsoftonline.com/tenant/v2.0",
          audiences: ["6f1c1b9e-0000-4000-8000-000000000001"],
          requiredScopes: ["mcp.tools"],
        },
      },
      github: {
        apiUrl: "https://api.github.com",
        appId: 123456,
        clientId: "Iv23liExample",
        signer: { type: "kms", keyId: "alias/repogate-github-app" },
      },
      policy: { file: "/app/policy.yaml" },
      rateLimit: { redisUrl: "rediss://master.repogate.cache.amazonaws.com:6380" },
      http: { trustProxyHops: 1 },
      audit: {
        sink: "cloudwatch",
        logGroup: "/RepogateFargate/audit",
        file: "/tmp/repogate/audit/audit.jsonl",
      },
      aws: { region: "eu-west-1" },
      secrets: {
        store: "secretsmanager",
        apiKeysSecret: runtime.secrets.apiKeys.secretArn,
        webhookSecret: runtime.secrets.webhookSecret.secretArn,
      },
      metrics: { exporter: "emf" },
      logLevel: "info",
    });
    // Each variable is read: changing its value changes the config (or makes it invalid). A name the loader
    // does not know would change nothing.
    const baseline = JSON.stringify(config);
    for (const [name, value] of Object.entries(env).filter(([n]) => n.startsWith("REPOGATE_"))) {
      const changed = await loadConfig({ env: { ...env, [name]: `${value}-changed` } }).then(
        (other) => JSON.stringify(other) !== baseline,
        () => true,
      );
      expect(changed, `${name} has no effect on the broker's config`).toBe(true);
    }
    expect(await loadConfig({ env: { ...env, REPOGATE_NOT_A_SETTING: "x" } })).toEqual(config);
  });

  it("refuses a proxy hop count that is not a number, naming the variable", async () => {
    const env = { ...brokerEnvironment(settings, runtime), REPOGATE_TRUST_PROXY_HOPS: "one" };
    await expect(loadConfig({ env })).rejects.toThrow(ConfigError);
    await expect(loadConfig({ env })).rejects.toThrow(/REPOGATE_TRUST_PROXY_HOPS must be a number/);
  });
});
