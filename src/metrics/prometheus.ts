import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { labelValue, type Metrics } from "./metrics.ts";

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const KMS_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface PrometheusMetricsOptions {
  /** Also collect Node process metrics (CPU, memory, event loop lag) into this registry. Default false. */
  processMetrics?: boolean;
  /** Prefix of every metric name. Default `repogate_`. */
  prefix?: string;
}

/** Metrics kept in a prom-client Registry of their own (never the global default one). */
export interface PrometheusMetrics extends Metrics {
  readonly registry: Registry;
  /** The exposition text (`text/plain; version=0.0.4`). */
  exposition(): Promise<string>;
  readonly contentType: string;
}

/** Creates Prometheus metrics in a fresh Registry, so two brokers in one process (tests) never share counters. */
export function createPrometheusMetrics(options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  const p = options.prefix ?? "repogate_";
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: p });

  const toolCalls = new Counter({
    name: `${p}tool_calls_total`,
    help: "MCP tool calls by tool and outcome",
    labelNames: ["tool", "outcome"] as const,
    registers,
  });
  const toolDuration = new Histogram({
    name: `${p}tool_call_duration_seconds`,
    help: "MCP tool call latency",
    labelNames: ["tool"] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const policyDecisions = new Counter({
    name: `${p}policy_decisions_total`,
    help: "Policy decisions by decision and reason code",
    labelNames: ["decision", "code"] as const,
    registers,
  });
  const tokenGrants = new Counter({
    name: `${p}token_grants_total`,
    help: "Narrowed installation tokens minted",
    registers,
  });
  const tokenRevocations = new Counter({
    name: `${p}token_revocations_total`,
    help: "Installation token revocations by outcome",
    labelNames: ["outcome"] as const,
    registers,
  });
  const tokenRevokeFailures = new Counter({
    name: `${p}token_revoke_failures_total`,
    help: "Installation token revocations that failed, by reason",
    labelNames: ["reason"] as const,
    registers,
  });
  const authFailures = new Counter({
    name: `${p}auth_failures_total`,
    help: "Authentication failures by reason",
    labelNames: ["reason"] as const,
    registers,
  });
  const rateLimitRefusals = new Counter({
    name: `${p}rate_limit_refusals_total`,
    help: "Requests refused by a rate limit, by limit",
    labelNames: ["scope"] as const,
    registers,
  });
  const githubRequests = new Counter({
    name: `${p}github_requests_total`,
    help: "GitHub API requests by HTTP status (0: no response)",
    labelNames: ["status"] as const,
    registers,
  });
  const githubRemaining = new Gauge({
    name: `${p}github_rate_limit_remaining`,
    help: "GitHub API requests left in the current window, per installation",
    labelNames: ["installation_id"] as const,
    registers,
  });
  const kmsSigns = new Counter({
    name: `${p}kms_sign_total`,
    help: "KMS Sign calls for the App JWT, by outcome",
    labelNames: ["outcome"] as const,
    registers,
  });
  const kmsDuration = new Histogram({
    name: `${p}kms_sign_duration_seconds`,
    help: "KMS Sign latency",
    buckets: KMS_BUCKETS,
    registers,
  });
  const auditQueue = new Gauge({
    name: `${p}audit_queue_depth`,
    help: "Audit events waiting to be written",
    registers,
  });
  const auditFailures = new Counter({
    name: `${p}audit_delivery_failures_total`,
    help: "Audit batches the sink failed to deliver, by sink and reason",
    labelNames: ["sink", "reason"] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: `${p}http_request_duration_seconds`,
    help: "HTTP request latency by method, route pattern and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const keyAge = new Gauge({
    name: `${p}app_key_age_days`,
    help: "Age of the GitHub App private key in days",
    registers,
  });
  const secretFailures = new Counter({
    name: `${p}secret_refresh_failures_total`,
    help: "Secret refreshes that failed: stale-served (cached value used) or failed",
    labelNames: ["outcome"] as const,
    registers,
  });
  const webhookDeliveries = new Counter({
    name: `${p}github_webhook_deliveries_total`,
    help: "GitHub webhook deliveries by event.action and outcome (processed, duplicate, ignored, unauthorized, invalid, error)",
    labelNames: ["event", "outcome"] as const,
    registers,
  });

  return {
    registry,
    contentType: registry.contentType,
    exposition: () => registry.metrics(),
    recordToolCall({ tool, outcome, durationMs }) {
      toolCalls.inc({ tool: labelValue(tool), outcome: labelValue(outcome) });
      toolDuration.observe({ tool: labelValue(tool) }, durationMs / 1000);
    },
    recordPolicyDecision({ decision, code }) {
      policyDecisions.inc({ decision, code: labelValue(code) });
    },
    recordTokenGrant() {
      tokenGrants.inc();
    },
    recordTokenRevocation({ outcome, reason }) {
      tokenRevocations.inc({ outcome });
      if (outcome === "failed") tokenRevokeFailures.inc({ reason: labelValue(reason ?? "unknown") });
    },
    recordAuthFailure({ reason }) {
      authFailures.inc({ reason: labelValue(reason) });
    },
    recordRateLimitRefusal({ scope }) {
      rateLimitRefusals.inc({ scope: labelValue(scope) });
    },
    recordGitHubRequest({ status }) {
      githubRequests.inc({ status: labelValue(status) });
    },
    setGitHubRateLimitRemaining({ installationId, remaining }) {
      githubRemaining.set({ installation_id: labelValue(installationId) }, remaining);
    },
    recordKmsSign({ outcome, durationMs }) {
      kmsSigns.inc({ outcome });
      kmsDuration.observe(durationMs / 1000);
    },
    setAuditQueueDepth(depth) {
      auditQueue.set(depth);
    },
    recordAuditDeliveryFailure({ sink, reason }) {
      auditFailures.inc({ sink: labelValue(sink), reason: labelValue(reason) });
    },
    recordHttpRequest({ method, route, status, durationMs }) {
      httpDuration.observe(
        { method: labelValue(method.toUpperCase()), route: labelValue(route), status: labelValue(status) },
        durationMs / 1000,
      );
    },
    setAppKeyAgeDays(days) {
      keyAge.set(days);
    },
    recordSecretRefreshFailure({ outcome }) {
      secretFailures.inc({ outcome });
    },
    recordWebhookDelivery({ event, outcome }) {
      webhookDeliveries.inc({ event: labelValue(event), outcome: labelValue(outcome) });
    },
    flush: async () => undefined,
    close: async () => {
      registry.clear();
    },
  };
}
