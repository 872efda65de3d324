import type { Principal } from "../auth/principal.ts";
import type { TokenCallRecord, TokenGrant, TokenRevocation } from "../github/token-broker.ts";
import type { Operation, PolicyDecision } from "../policy/index.ts";
import type { AuditLog } from "./audit-log.ts";
import { auditErrorFields } from "./errors.ts";
import type { AuditEvent } from "./event.ts";

/** The request a tool call arrived in, as the audit trail names it. */
export interface CallRequest {
  /** The broker's request id (a ULID, echoed as `x-request-id`). */
  id: string;
  /** The caller's own `x-request-id`, when it sent a plain one. */
  clientRequestId?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
  tool: string;
}

/** How a tool call ended. */
export type CallOutcome = "ok" | "denied" | "error";

/** One policy decision a tool call took (after every ref check it needed). */
export interface CallDecision {
  /** `owner/repo` as decided (lower-cased when valid). */
  repository: string;
  operation: Operation;
  /** The ref the decision covers, `null` for "no ref" (default branch or not ref-specific). */
  ref: string | null;
  decision: PolicyDecision;
}

/** The end of a tool call. */
export interface CallResult {
  /** `owner/repo` for single-repository tools; `null` for list_repositories and search_code. */
  repository: string | null;
  outcome: CallOutcome;
  latencyMs: number;
  /** Stable code of the denial or error (`NOT_IN_WHITELIST`, `GITHUB_UPSTREAM_ERROR`, `INTERNAL_ERROR` …). */
  errorCode?: string | undefined;
}

/**
 * Watches every call record (metrics, logs). Synchronous: an observer runs after the audit trail has the fact,
 * and for failures whether or not the trail took it, so a failing sink still shows in metrics and logs.
 */
export interface CallObserver {
  decided?(call: CallRecord, decision: CallDecision): void;
  granted?(call: CallRecord, grant: TokenGrant): void;
  revoked?(call: CallRecord, revocation: TokenRevocation): void;
  revokeFailed?(call: CallRecord, error: unknown, revocation: TokenRevocation): void;
  finished?(call: CallRecord, result: CallResult): void;
}

/** The audit view of a principal: never its scopes or client id. */
export function auditPrincipal(principal: Principal): NonNullable<AuditEvent["principal"]> {
  return {
    sub: principal.sub,
    ...(principal.email ? { email: principal.email } : {}),
    groups: [...principal.groups],
    via: principal.via,
  };
}

/**
 * The record of one tool call: who (principal) and what (request, tool), and as the call runs its decisions,
 * token grants and revocations, and its result. The MCP layer opens it and passes it down explicitly (policy
 * decision → `withToken` → result); each fact goes to the audit trail (a denial and a grant durable before
 * the call goes on) and then to the observers.
 */
export class CallRecord implements TokenCallRecord {
  readonly principal: Principal;
  readonly request: CallRequest;
  readonly #log: AuditLog;
  readonly #observers: readonly CallObserver[];
  readonly #who: Pick<AuditEvent, "principal" | "request">;

  constructor(log: AuditLog, observers: readonly CallObserver[], principal: Principal, request: CallRequest) {
    this.principal = principal;
    this.request = request;
    this.#log = log;
    this.#observers = observers;
    const { clientRequestId, ip, userAgent, ...rest } = request;
    this.#who = {
      principal: auditPrincipal(principal),
      request: {
        ...rest,
        ...(clientRequestId ? { clientRequestId } : {}),
        ...(ip ? { ip } : {}),
        ...(userAgent ? { userAgent } : {}),
      },
    };
  }

  /** A denial is a durable `access.deny` before the call answers; allowed decisions are only observed. */
  async decided(decided: CallDecision): Promise<void> {
    const { decision } = decided;
    if (!decision.allowed) {
      await this.#log.record({
        type: "access.deny",
        ...this.#who,
        resource: { repo: decided.repository, ...(decided.ref ? { ref: decided.ref } : {}) },
        operation: decided.operation,
        decision: {
          allowed: false,
          rule: decision.rulePattern,
          reason: decision.reason,
          code: decision.code,
        },
        outcome: "denied",
      });
    }
    this.#observe((observer) => observer.decided?.(this, decided));
  }

  /** Refuses while the audit sink is known down (proving it again first after an outage): nothing is minted unaudited. */
  beforeMint(): Promise<void> {
    return this.#log.ensureWritable();
  }

  /** Throws while the audit sink is known to be down: checked again as the mint request leaves. */
  assertMintable(): void {
    this.#log.assertMintable();
  }

  /** A durable `token.grant`; the broker awaits it before the token is used. */
  async granted(grant: TokenGrant): Promise<void> {
    await this.#log.recordGrant(grant, this.#who);
    this.#observe((observer) => observer.granted?.(this, grant));
  }

  async revoked(revocation: TokenRevocation): Promise<void> {
    await this.#log.record({
      type: "token.revoke",
      ...this.#who,
      ...revokedToken(revocation),
      outcome: "ok",
    });
    this.#observe((observer) => observer.revoked?.(this, revocation));
  }

  async revokeFailed(error: unknown, revocation: TokenRevocation): Promise<void> {
    try {
      await this.#log.record({
        type: "token.revoke.fail",
        ...this.#who,
        ...revokedToken(revocation),
        outcome: "error",
        error: auditErrorFields(error),
      });
    } finally {
      this.#observe((observer) => observer.revokeFailed?.(this, error, revocation));
    }
  }

  /** The call's own `tool.call` event, with its outcome and latency. */
  async finished(result: CallResult): Promise<void> {
    try {
      await this.#log.record({
        type: "tool.call",
        ...this.#who,
        ...(result.repository ? { resource: { repo: result.repository } } : {}),
        outcome: result.outcome,
        latencyMs: result.latencyMs,
        ...(result.errorCode ? { error: { code: result.errorCode } } : {}),
      });
    } finally {
      this.#observe((observer) => observer.finished?.(this, result));
    }
  }

  #observe(notify: (observer: CallObserver) => void): void {
    for (const observer of this.#observers) notify(observer);
  }
}

/** Opens call records against one audit log and one set of observers (built once, at start-up). */
export class CallTrail {
  readonly #log: AuditLog;
  readonly #observers: readonly CallObserver[];

  constructor(log: AuditLog, observers: readonly CallObserver[] = []) {
    this.#log = log;
    this.#observers = observers;
  }

  /** Resolves when a call could be recorded now (a failed sink is proved first); rejects with an audit error. */
  ready(): Promise<void> {
    return this.#log.ensureWritable();
  }

  open(principal: Principal, request: CallRequest): CallRecord {
    return new CallRecord(this.#log, this.#observers, principal, request);
  }
}

function revokedToken(revocation: TokenRevocation): Pick<AuditEvent, "token" | "resource" | "details"> {
  const single = revocation.repositories.length === 1 ? revocation.repositories[0] : undefined;
  return {
    token: {
      fingerprint: revocation.fingerprint,
      installationId: revocation.installationId,
      repositories: [...revocation.repositories],
    },
    ...(single ? { resource: { repo: single.toLowerCase() } } : {}),
    details: {
      reason: revocation.reason,
      attempts: revocation.attempts,
      ...(revocation.purpose ? { purpose: revocation.purpose } : {}),
    },
  };
}
