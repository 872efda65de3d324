import type { BrokerMetricQuery } from "./broker-metrics.ts";
import { SERVER_ERROR_STATUSES } from "./broker-metrics.ts";

/** The seed's four alert kinds. */
export type AlertKind = "unauthorized-access" | "excessive-calls" | "key-or-token-expiry" | "system-errors";

/** One alarm on a broker metric. */
export interface BrokerAlarmSpec {
  id: string;
  kind: AlertKind;
  description: string;
  query: BrokerMetricQuery;
  comparison: "GreaterThanOrEqualToThreshold" | "LessThanThreshold";
  threshold: number;
  /** Minutes per evaluation period; the alarm fires when `datapoints` of `evaluationPeriods` breach. */
  periodMinutes: number;
  evaluationPeriods: number;
  datapoints: number;
  /** No data means nothing happened (notBreaching), except for a heartbeat, where it means nobody answers. */
  missingData: "notBreaching" | "breaching";
  /** Only where the variant has the signal (the ALB's health checks exist on Fargate only). */
  variants?: readonly ("fargate" | "lambda")[];
}

/** Thresholds an admin may tune from context. */
export interface AlarmThresholds {
  appKeyMaxAgeDays: number;
}

/** Every alarm the stacks create, by alert kind. */
export function brokerAlarms(thresholds: AlarmThresholds): BrokerAlarmSpec[] {
  const every5Min = { periodMinutes: 5, evaluationPeriods: 1, datapoints: 1 } as const;
  return [
    {
      id: "PolicyDenials",
      kind: "unauthorized-access",
      description:
        "Repository access denied by the policy 5+ times in 5 minutes (who: audit log, access.deny)",
      query: {
        metric: "PolicyDecisions",
        dimensions: ["Decision", "Code"],
        aggregate: "SUM",
        where: { Decision: ["deny"] },
      },
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 5,
      ...every5Min,
      missingData: "notBreaching",
    },
    {
      id: "FailedSignIns",
      kind: "unauthorized-access",
      description: "20+ failed sign-ins (bad or foreign tokens, bad API keys) in 5 minutes",
      query: { metric: "AuthFailures", dimensions: ["Reason"], aggregate: "SUM" },
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 20,
      ...every5Min,
      missingData: "notBreaching",
    },
    {
      id: "RateLimitRefusals",
      kind: "excessive-calls",
      description: "Callers refused by the per-principal or failed-sign-in rate limit 10+ times in 5 minutes",
      query: { metric: "RateLimitRefusals", dimensions: ["Scope"], aggregate: "SUM" },
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 10,
      ...every5Min,
      missingData: "notBreaching",
    },
    {
      id: "GitHubRateLimitLow",
      kind: "excessive-calls",
      description: "An installation has fewer than 500 GitHub API requests left this hour",
      query: { metric: "GitHubRateLimitRemaining", dimensions: ["InstallationId"], aggregate: "MIN" },
      comparison: "LessThanThreshold",
      threshold: 500,
      ...every5Min,
      missingData: "notBreaching",
    },
    {
      id: "AppKeyAge",
      kind: "key-or-token-expiry",
      description: `The GitHub App key is older than ${thresholds.appKeyMaxAgeDays} days: rotate it (repogate setup rotate-key)`,
      query: { metric: "AppKeyAgeDays", dimensions: [], aggregate: "MAX" },
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: thresholds.appKeyMaxAgeDays,
      periodMinutes: 60,
      evaluationPeriods: 1,
      datapoints: 1,
      missingData: "notBreaching",
    },
    {
      id: "TokenRevocationFailures",
      kind: "key-or-token-expiry",
      description: "An installation token could not be revoked (it stays valid until it expires, up to 1 h)",
      query: {
        metric: "TokenRevocations",
        dimensions: ["Outcome"],
        aggregate: "SUM",
        where: { Outcome: ["failed"] },
      },
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      ...every5Min,
      missingData: "notBreaching",
    },
    {
      id: "ServerErrors",
      kind: "system-errors",
      description: "The broker answered 5xx 5+ times in 5 minutes",
      query: {
        metric: "HttpRequests",
        dimensions: ["Route", "Status"],
        aggregate: "SUM",
        where: { Status: SERVER_ERROR_STATUSES },
      },
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 5,
      ...every5Min,
      missingData: "notBreaching",
    },
    {
      id: "AuditDeliveryFailures",
      kind: "system-errors",
      description:
        "Audit events could not be written to CloudWatch Logs (tool calls are refused under onFailure deny)",
      query: { metric: "AuditDeliveryFailures", dimensions: ["Sink", "Reason"], aggregate: "SUM" },
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      ...every5Min,
      missingData: "notBreaching",
    },
    {
      id: "KmsSignErrors",
      kind: "system-errors",
      description:
        "KMS refused or failed to sign the App JWT (key disabled, pending import, throttled, no permission)",
      query: { metric: "KmsSigns", dimensions: ["Outcome"], aggregate: "SUM", where: { Outcome: ["error"] } },
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      ...every5Min,
      missingData: "notBreaching",
    },
    {
      id: "SecretRefreshFailures",
      kind: "system-errors",
      description: "A secret could not be read from Secrets Manager and no cached value was left",
      query: {
        metric: "SecretRefreshFailures",
        dimensions: ["Outcome"],
        aggregate: "SUM",
        where: { Outcome: ["failed"] },
      },
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      ...every5Min,
      missingData: "notBreaching",
    },
    {
      id: "NoHealthyBroker",
      kind: "system-errors",
      description: "No broker task answered the load balancer's /healthz checks for 5 minutes",
      query: {
        metric: "HttpRequests",
        dimensions: ["Route", "Status"],
        aggregate: "SUM",
        where: { Route: ["/healthz"], Status: ["200"] },
      },
      comparison: "LessThanThreshold",
      threshold: 1,
      ...every5Min,
      missingData: "breaching",
      variants: ["fargate"],
    },
  ];
}
