/**
 * The broker's operational numbers, as one interface with a method per instrument. Labels are kept
 * low-cardinality on purpose: tool, outcome, reason, decision code, status. Never a user, a repository or a
 * token: those belong in the audit trail, and as metric labels they would explode storage and leak identity.
 */

/** How a tool call ended. */
export type ToolOutcome = "ok" | "denied" | "error" | "rate_limited" | "invalid";

/** Every instrument the broker records; Prometheus and CloudWatch EMF implement it, `createNoopMetrics` ignores all. */
export interface Metrics {
  /** One MCP tool call finished: counts by tool and outcome, and its latency. */
  recordToolCall(event: { tool: string; outcome: ToolOutcome | string; durationMs: number }): void;
  /** The policy engine decided: `decision` allow/deny, `code` the reason code (e.g. NOT_IN_WHITELIST). */
  recordPolicyDecision(event: { decision: "allow" | "deny"; code: string }): void;
  /** An installation token was minted (narrowed). */
  recordTokenGrant(): void;
  /** A token revocation finished: `ok`, or `failed` with a short reason (e.g. the HTTP status). */
  recordTokenRevocation(event: { outcome: "ok" | "failed"; reason?: string }): void;
  /** A caller could not be authenticated; `reason` is the AuthError code. */
  recordAuthFailure(event: { reason: string }): void;
  /** A request was refused by a rate limit; `scope` is which limit (principal, failed_auth). */
  recordRateLimitRefusal(event: { scope: string }): void;
  /** A request to the GitHub API completed with this HTTP status (0 for a network failure). */
  recordGitHubRequest(event: { status: number }): void;
  /** GitHub's `x-ratelimit-remaining` as last seen for an installation. */
  setGitHubRateLimitRemaining(event: { installationId: number | string; remaining: number }): void;
  /** One KMS Sign call (App JWT) and how long it took. */
  recordKmsSign(event: { outcome: "ok" | "error"; durationMs: number }): void;
  /** Events waiting in the audit sink's queue (group commit / spool). */
  setAuditQueueDepth(depth: number): void;
  /** The audit sink failed to deliver a batch (`sink` jsonl/cloudwatch, `reason` a short code). */
  recordAuditDeliveryFailure(event: { sink: string; reason: string }): void;
  /** One HTTP request finished; `route` is the route pattern (`/mcp`), never the raw URL. */
  recordHttpRequest(event: { method: string; route: string; status: number; durationMs: number }): void;
  /** Age of the GitHub App private key in days (alarm: rotate the key). */
  setAppKeyAgeDays(days: number): void;
  /** A secret refresh failed: `stale-served` (Secrets Manager unreachable, cached value used) or `failed`. */
  recordSecretRefreshFailure(event: { outcome: "stale-served" | "failed" }): void;
  /**
   * A GitHub webhook delivery reached `/github/webhook`: `event` is `installation.created`,
   * `installation_repositories.added` … (or the bare event name), `outcome` processed, duplicate, ignored,
   * unauthorized, invalid or error.
   */
  recordWebhookDelivery(event: { event: string; outcome: string }): void;
  /** Writes out anything buffered (EMF); a no-op for Prometheus. */
  flush(): Promise<void>;
  /** Flushes and stops timers. */
  close(): Promise<void>;
}

/** Label values come from code, but are clamped anyway so a bug can never create unbounded series. */
export function labelValue(value: string | number): string {
  const text = String(value)
    .replace(/[^A-Za-z0-9_.:/-]/g, "_")
    .slice(0, 64);
  return text === "" ? "unknown" : text;
}

/** Whole days between a key's creation and now (never negative). */
export function keyAgeDays(createdAt: Date, now: Date = new Date()): number {
  return Math.max(0, Math.floor((now.getTime() - createdAt.getTime()) / 86_400_000));
}

/** Metrics that record nothing: for tests and for `metrics.exporter: none`. */
export function createNoopMetrics(): Metrics {
  const nothing = () => undefined;
  return {
    recordToolCall: nothing,
    recordPolicyDecision: nothing,
    recordTokenGrant: nothing,
    recordTokenRevocation: nothing,
    recordAuthFailure: nothing,
    recordRateLimitRefusal: nothing,
    recordGitHubRequest: nothing,
    setGitHubRateLimitRemaining: nothing,
    recordKmsSign: nothing,
    setAuditQueueDepth: nothing,
    recordAuditDeliveryFailure: nothing,
    recordHttpRequest: nothing,
    setAppKeyAgeDays: nothing,
    recordSecretRefreshFailure: nothing,
    recordWebhookDelivery: nothing,
    flush: async () => undefined,
    close: async () => undefined,
  };
}
