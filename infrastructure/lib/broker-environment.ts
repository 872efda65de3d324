import type * as logs from "aws-cdk-lib/aws-logs";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { APP_KEY_ALIAS } from "./keys.ts";
import { type DeploymentSettings, publicUrls } from "./settings.ts";

/** Where the variant's broker differs: the ALB in front (one proxy hop) or API Gateway's own client address. */
export interface BrokerRuntime {
  region: string;
  policyFile: string;
  trustProxyHops: number;
  auditLogGroup: logs.ILogGroup;
  secrets: { apiKeys: secretsmanager.ISecret; webhookSecret: secretsmanager.ISecret };
  /** `rediss://host:port` when rate-limit counters are shared. */
  redisUrl?: string;
  /** Extra settings (listen address for the container). */
  extra?: Record<string, string>;
}

/**
 * The broker's settings as `REPOGATE_*` variables (src/config/load.ts): the CloudWatch audit sink, the KMS
 * signer on the App key alias, the Secrets Manager store, EMF metrics on stdout. No value here is secret;
 * secrets are fetched at run time by ARN.
 */
export function brokerEnvironment(
  settings: DeploymentSettings,
  runtime: BrokerRuntime,
): Record<string, string> {
  const { base, mcp } = publicUrls(settings);
  return {
    NODE_ENV: "production",
    REPOGATE_PUBLIC_URL: base,
    REPOGATE_OIDC_ISSUER: settings.oidcIssuer,
    REPOGATE_OIDC_AUDIENCES: (settings.oidcAudiences ?? [mcp]).join(","),
    REPOGATE_OIDC_SCOPES: settings.oidcScopes.join(","),
    REPOGATE_GITHUB_API_URL: settings.githubApiUrl,
    REPOGATE_GITHUB_APP_ID: String(settings.githubAppId),
    ...(settings.githubClientId ? { REPOGATE_GITHUB_CLIENT_ID: settings.githubClientId } : {}),
    REPOGATE_KMS_KEY_ID: APP_KEY_ALIAS,
    REPOGATE_AWS_REGION: runtime.region,
    REPOGATE_POLICY_FILE: runtime.policyFile,
    REPOGATE_AUDIT_SINK: "cloudwatch",
    REPOGATE_AUDIT_LOG_GROUP: runtime.auditLogGroup.logGroupName,
    // The spool and dead-letter file of the audit trail: the only writable place is /tmp.
    REPOGATE_AUDIT_FILE: "/tmp/repogate/audit/audit.jsonl",
    REPOGATE_SECRETS_STORE: "secretsmanager",
    REPOGATE_API_KEYS_SECRET: runtime.secrets.apiKeys.secretArn,
    REPOGATE_WEBHOOK_SECRET_NAME: runtime.secrets.webhookSecret.secretArn,
    REPOGATE_METRICS_EXPORTER: "emf",
    REPOGATE_TRUST_PROXY_HOPS: String(runtime.trustProxyHops),
    ...(runtime.redisUrl ? { REPOGATE_REDIS_URL: runtime.redisUrl } : {}),
    REPOGATE_LOG_LEVEL: "info",
    ...runtime.extra,
  };
}
