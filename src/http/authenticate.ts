import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import { apiKeyId } from "../auth/api-keys.ts";
import { AuthError, type AuthErrorCode, isUpstreamAuthFailure } from "../auth/errors.ts";
import type { Principal } from "../auth/principal.ts";
import {
  type CredentialKind,
  type CredentialVerifiers,
  type PresentedCredential,
  readCredential,
  verifyCredential,
} from "../auth/verify-credential.ts";
import { authErrorResponse, authErrorStatus, type ChallengeContext } from "./auth-error-response.ts";
import { JSON_RPC_ERROR, jsonRpcError } from "./jsonrpc-error.ts";
import type { RateLimiter } from "./rate-limit/index.ts";
import { type RequestOrigin, requestOrigin } from "./request-id.ts";
import type { HttpEnv } from "./types.ts";

/** What the audit layer hears about a refused request; never holds a token, key or hash. */
export interface AuthFailureEvent {
  reason: AuthErrorCode | "ORIGIN_NOT_ALLOWED" | "HOST_NOT_ALLOWED";
  status: number;
  /** The kind of credential presented, if any. */
  credential?: CredentialKind;
  /** Public id of a presented API key (the `<id>` of `rg_<id>_…`), when well-formed. */
  apiKeyId?: string;
  /** Who was refused, when the credential itself was valid (a 403 for missing scope). */
  principal?: Principal;
  ip: string;
  userAgent?: string;
  requestId: string;
  /** The caller's own `x-request-id`, when it sent a plain one. */
  clientRequestId?: string;
}

/** What the audit layer hears about a 429. */
export interface RateLimitedEvent {
  limiter: "principal" | "failed-auth";
  retryAfterSec: number;
  principal?: Principal;
  ip: string;
  userAgent?: string;
  requestId: string;
  /** The caller's own `x-request-id`, when it sent a plain one. */
  clientRequestId?: string;
}

/** Options of the `authenticate` middleware. */
export interface AuthenticateOptions {
  verifiers: CredentialVerifiers;
  /** Where discovery starts and which scopes to ask for, as this request reached the server. */
  challenge: (c: Context<HttpEnv>) => ChallengeContext;
  /**
   * Failed authentications per client IP. Only a request whose credential fails is counted and, over the limit,
   * answered 429; a credential that verifies always passes (verification is local once the JWKS is cached, and
   * jose's JWKS cooldown bounds refetches for unknown `kid`s).
   */
  failedAuthLimiter: RateLimiter;
  onAuthFailure?: (event: AuthFailureEvent) => void;
  onRateLimited?: (event: RateLimitedEvent) => void;
  logger?: Logger;
}

// Headers that carry credentials; removed before the request reaches the MCP handler.
const CREDENTIAL_HEADERS = ["authorization", "x-api-key", "proxy-authorization", "cookie"];

/**
 * The request as the MCP handler gets it: same URL, method and headers, minus every credential header (so
 * nothing downstream can forward the caller's token), and without a body: `jsonRpcBody` has read it into
 * `parsedBody`. Built once, at the hand-off, so no middleware copies the request body stream along the way.
 * Without the signal too: neither the MCP transport nor the tools read it, and asking @hono/node-server for
 * it builds an AbortController per request, which the new Request would then follow.
 */
export function withoutCredentials(request: Request): Request {
  const headers = new Headers(request.headers);
  for (const name of CREDENTIAL_HEADERS) headers.delete(name);
  return new Request(request.url, { method: request.method, headers });
}

/** Refusals that are not guesses: no credential, a genuine but expired token, a valid one lacking a scope. */
const NOT_A_GUESS = new Set<AuthErrorCode>(["TOKEN_MISSING", "TOKEN_EXPIRED", "INSUFFICIENT_SCOPE"]);

/**
 * Whether a refusal counts against the caller's IP. An unreachable IdP is not the caller's fault, and an expired
 * token passed signature verification: it is a client about to refresh, and counting it would let ordinary
 * expiry behind one NAT or one cloud egress (Claude's connector) lock out everyone else there.
 */
function countsAsFailedAttempt(error: AuthError): boolean {
  return !NOT_A_GUESS.has(error.code) && !isUpstreamAuthFailure(error);
}

/** The audit fields a presented credential may show: its kind and an API key's public id, never the value. */
function describeCredential(
  presented: PresentedCredential,
): Pick<AuthFailureEvent, "credential" | "apiKeyId"> {
  if (presented.kind === "none") return {};
  const keyId = "value" in presented && presented.kind === "api-key" ? apiKeyId(presented.value) : undefined;
  return { credential: presented.kind, apiKeyId: keyId };
}

/**
 * Sets `principal` from the request's OIDC JWT or API key (see `verifyCredential`); a refusal is answered by
 * `authErrorResponse`, or with 429 once the caller's IP has failed too often. It leaves the request as it is:
 * the credential headers are stripped in one place, at the MCP hand-off in `createHttpApp` (`withoutCredentials`),
 * so a new route after this middleware must strip them itself before passing the request on.
 */
export function authenticate(options: AuthenticateOptions): MiddlewareHandler<HttpEnv> {
  const { logger } = options;

  /** Counts the failure against the IP, after verification, so only failing requests are ever refused here. */
  const throttled = async (c: Context<HttpEnv>, origin: RequestOrigin): Promise<Response | undefined> => {
    const decision = await options.failedAuthLimiter.consume(origin.ip);
    if (decision.allowed) return undefined;
    options.onRateLimited?.({ limiter: "failed-auth", retryAfterSec: decision.retryAfterSec, ...origin });
    return jsonRpcError(
      c,
      429,
      JSON_RPC_ERROR.serverError,
      `Too many failed authentications from this address, retry in ${decision.retryAfterSec} s`,
      { "Retry-After": String(decision.retryAfterSec) },
    );
  };

  const refuse = async (c: Context<HttpEnv>, presented: PresentedCredential, error: AuthError) => {
    const origin = requestOrigin(c);
    if (countsAsFailedAttempt(error)) {
      const tooMany = await throttled(c, origin);
      if (tooMany) return tooMany;
    }
    const credential = describeCredential(presented);
    // An unreachable IdP is reported like a refusal (status 503), so metrics and the audit trail show the
    // outage and an alarm can fire.
    options.onAuthFailure?.({ reason: error.code, status: authErrorStatus(error), ...credential, ...origin });
    if (isUpstreamAuthFailure(error)) {
      logger?.warn(
        {
          requestId: origin.requestId,
          reason: error.code,
          cause: error.cause instanceof Error ? error.cause.message : undefined,
        },
        "credential check unavailable",
      );
    } else {
      logger?.info(
        { requestId: origin.requestId, ip: origin.ip, reason: error.code, ...credential },
        "authentication refused",
      );
    }
    return authErrorResponse(error, options.challenge(c));
  };

  return async (c, next) => {
    const presented = readCredential(c.req.raw.headers);
    try {
      c.set("principal", await verifyCredential(presented, options.verifiers));
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      return await refuse(c, presented, error);
    }
    await next();
  };
}
