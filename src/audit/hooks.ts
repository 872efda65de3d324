import type { Principal } from "../auth/principal.ts";
import type { TokenGrant, TokenRevocation } from "../github/token-broker.ts";
import type { AuthFailureEvent, RateLimitedEvent } from "../http/authenticate.ts";
import type { ToolEvents } from "../mcp/events.ts";
import type { Policy } from "../policy/load.ts";
import type { ReloadTrigger } from "../policy/watch.ts";
import type { AuditLog } from "./audit-log.ts";
import type { AuditEvent } from "./event.ts";

/** Called when a fire-and-forget audit record fails (HTTP and policy hooks cannot wait for the sink). */
export type AuditHookErrorHandler = (error: unknown, type: string) => void;

/** The audit view of a principal: never its scopes or client id. */
export function auditPrincipal(principal: Principal): NonNullable<AuditEvent["principal"]> {
  return {
    sub: principal.sub,
    ...(principal.email ? { email: principal.email } : {}),
    groups: [...principal.groups],
    via: principal.via,
  };
}

function tokenFields(grant: TokenGrant | TokenRevocation) {
  return {
    fingerprint: grant.fingerprint,
    installationId: grant.installationId,
    repositories: [...grant.repositories],
  };
}

function singleRepo(repositories: readonly string[]): { resource?: { repo: string } } {
  return repositories.length === 1 ? { resource: { repo: (repositories[0] as string).toLowerCase() } } : {};
}

/** The broker hooks the audit layer provides (assignable to the broker's `TokenBrokerHooks`). */
export interface AuditBrokerHooks {
  beforeMint: () => Promise<void>;
  onGrant: (grant: TokenGrant) => Promise<void>;
  onRevoke: (revocation: TokenRevocation) => Promise<void>;
  onRevokeError: (error: unknown, revocation: TokenRevocation) => Promise<void>;
}

function purposeDetail(event: TokenGrant | TokenRevocation): { purpose?: string } {
  const purpose = (event as { purpose?: unknown }).purpose;
  return typeof purpose === "string" ? { purpose } : {};
}

/**
 * Token broker hooks: `beforeMint` refuses while the sink is known down and proves it durable before the first
 * mint after an outage (nothing is minted unaudited), `onGrant` awaits a
 * durable `token.grant` (so a failing sink revokes the token and fails the request), `onRevoke` records
 * `token.revoke`, `onRevokeError` records `token.revoke.fail`. Principal and request come from the surrounding
 * `runWithAuditContext` scope.
 */
export function brokerAuditHooks(log: AuditLog): AuditBrokerHooks {
  return {
    beforeMint: () => log.ensureWritable(),
    onGrant: async (grant) => {
      await log.recordGrant(grant);
    },
    onRevoke: async (revocation) => {
      await log.record({
        type: "token.revoke",
        token: tokenFields(revocation),
        ...singleRepo(revocation.repositories),
        outcome: "ok",
        details: { reason: revocation.reason, attempts: revocation.attempts, ...purposeDetail(revocation) },
      });
    },
    onRevokeError: async (error, revocation) => {
      await log.record({
        type: "token.revoke.fail",
        token: tokenFields(revocation),
        ...singleRepo(revocation.repositories),
        outcome: "error",
        error: { code: errorCode(error), message: errorMessage(error) },
        details: { reason: revocation.reason, attempts: revocation.attempts, ...purposeDetail(revocation) },
      });
    },
  };
}

/** MCP tool hooks: a denied decision is a durable `access.deny`; each call's end is a `tool.call`. */
export function toolAuditEvents(log: AuditLog): ToolEvents {
  return {
    onDecision: async (event) => {
      if (event.decision.allowed) return;
      await log.record({
        type: "access.deny",
        principal: auditPrincipal(event.principal),
        request: { id: event.requestId, tool: event.tool },
        resource: { repo: event.repository, ...(event.ref ? { ref: event.ref } : {}) },
        operation: event.operation,
        decision: {
          allowed: false,
          rule: event.decision.rulePattern,
          reason: event.decision.reason,
          code: event.decision.code,
        },
        outcome: "denied",
      });
    },
    onToolResult: async (event) => {
      await log.record({
        type: "tool.call",
        principal: auditPrincipal(event.principal),
        request: { id: event.requestId, tool: event.tool },
        ...(event.repository ? { resource: { repo: event.repository } } : {}),
        outcome: event.outcome,
        latencyMs: event.latencyMs,
        ...(event.errorCode ? { error: { code: event.errorCode } } : {}),
      });
    },
  };
}

/** HTTP hooks (synchronous in the HTTP layer): `auth.fail` and `rate.limit`, recorded in the background. */
export function httpAuditHooks(
  log: AuditLog,
  onError: AuditHookErrorHandler,
): { onAuthFailure: (event: AuthFailureEvent) => void; onRateLimited: (event: RateLimitedEvent) => void } {
  return {
    onAuthFailure: (event) => {
      log
        .record({
          type: "auth.fail",
          request: {
            id: event.requestId,
            ...(event.clientRequestId ? { clientRequestId: event.clientRequestId } : {}),
            ip: event.ip,
            ...(event.userAgent ? { userAgent: event.userAgent } : {}),
          },
          outcome: "denied",
          error: { code: event.reason },
          details: {
            status: event.status,
            ...(event.credential ? { credential: event.credential } : {}),
            ...(event.apiKeyId ? { apiKeyId: event.apiKeyId } : {}),
          },
        })
        .catch((error: unknown) => onError(error, "auth.fail"));
    },
    onRateLimited: (event) => {
      log
        .record({
          type: "rate.limit",
          ...(event.principal ? { principal: auditPrincipal(event.principal) } : {}),
          request: {
            id: event.requestId,
            ...(event.clientRequestId ? { clientRequestId: event.clientRequestId } : {}),
            ip: event.ip,
            ...(event.userAgent ? { userAgent: event.userAgent } : {}),
          },
          outcome: "denied",
          details: { limiter: event.limiter, retryAfterSec: event.retryAfterSec },
        })
        .catch((error: unknown) => onError(error, "rate.limit"));
    },
  };
}

/** What a policy (re)load event says: the policy applied, the digest it replaced and what triggered it. */
type PolicyLoadEvent = { policy: Policy; previousDigest: string; trigger: ReloadTrigger };

/**
 * Policy store hooks: `policy.load` on every applied (re)load, `policy.load.fail` when a new file is refused.
 * `recordLoad` is the awaitable form, for the load at start-up.
 */
export function policyAuditHooks(
  log: AuditLog,
  onError: AuditHookErrorHandler,
): {
  recordLoad: (event: PolicyLoadEvent) => Promise<AuditEvent>;
  onReload: (event: PolicyLoadEvent) => void;
  onReloadError: (
    error: Error,
    event: { path: string; trigger: ReloadTrigger; digestInForce: string },
  ) => void;
} {
  const recordLoad = (event: PolicyLoadEvent) =>
    log.record({
      type: "policy.load",
      outcome: "ok",
      details: {
        digest: event.policy.digest,
        previousDigest: event.previousDigest,
        rules: event.policy.rules.length,
        trigger: event.trigger,
        source: event.policy.source,
      },
    });
  return {
    recordLoad,
    onReload: (event) => {
      recordLoad(event).catch((error: unknown) => onError(error, "policy.load"));
    },
    onReloadError: (error, event) => {
      log
        .record({
          type: "policy.load.fail",
          outcome: "error",
          error: { code: errorCode(error), message: errorMessage(error) },
          details: { path: event.path, trigger: event.trigger, digestInForce: event.digestInForce },
        })
        .catch((failure: unknown) => onError(failure, "policy.load.fail"));
    },
  };
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string") return code.slice(0, 100);
  return error instanceof Error ? error.name : "ERROR";
}

function errorMessage(error: unknown): string {
  // The redaction guard still scans this; the cap keeps a huge upstream body out of the trail.
  return (error instanceof Error ? error.message : String(error)).slice(0, 500);
}
