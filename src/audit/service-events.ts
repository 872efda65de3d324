import type { AuthFailureEvent, RateLimitedEvent } from "../http/authenticate.ts";
import type { Policy } from "../policy/load.ts";
import type { ReloadTrigger } from "../policy/watch.ts";
import type { AuditLog } from "./audit-log.ts";
import { auditPrincipal } from "./call-record.ts";
import { auditErrorFields } from "./errors.ts";
import type { AuditEvent } from "./event.ts";

/** Called when a fire-and-forget audit record fails (HTTP and policy events cannot wait for the sink). */
export type AuditEventErrorHandler = (error: unknown, type: string) => void;

/** The audit `request` of a refusal in the HTTP layer (no tool: the request never reached one). */
function requestOf(event: AuthFailureEvent | RateLimitedEvent): NonNullable<AuditEvent["request"]> {
  return {
    id: event.requestId,
    ...(event.clientRequestId ? { clientRequestId: event.clientRequestId } : {}),
    ip: event.ip,
    ...(event.userAgent ? { userAgent: event.userAgent } : {}),
  };
}

/** HTTP events (synchronous in the HTTP layer): `auth.fail` and `rate.limit`, recorded in the background. */
export function httpAuditEvents(
  log: AuditLog,
  onError: AuditEventErrorHandler,
): { onAuthFailure: (event: AuthFailureEvent) => void; onRateLimited: (event: RateLimitedEvent) => void } {
  return {
    onAuthFailure: (event) => {
      log
        .record({
          type: "auth.fail",
          // Known when the credential itself was valid (a 403 for a missing scope): who was refused.
          ...(event.principal ? { principal: auditPrincipal(event.principal) } : {}),
          request: requestOf(event),
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
          request: requestOf(event),
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
 * Policy store events: `policy.load` on every applied (re)load, `policy.load.fail` when a new file is refused.
 * `recordLoad` is the awaitable form, for the load at start-up.
 */
export function policyAuditEvents(
  log: AuditLog,
  onError: AuditEventErrorHandler,
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
          error: auditErrorFields(error),
          details: { path: event.path, trigger: event.trigger, digestInForce: event.digestInForce },
        })
        .catch((failure: unknown) => onError(failure, "policy.load.fail"));
    },
  };
}
