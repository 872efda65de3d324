import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import { apiKeyId, looksLikeApiKey } from "../auth/api-keys.ts";
import { AuthError, type AuthErrorCode, isUpstreamAuthFailure } from "../auth/errors.ts";
import type { Principal } from "../auth/principal.ts";
import { bearerChallenge } from "./challenge.ts";
import { JSON_RPC_ERROR, jsonRpcError } from "./jsonrpc-error.ts";
import type { RateLimiter } from "./rate-limit.ts";
import { requestOrigin } from "./request-id.ts";
import type { HttpEnv } from "./types.ts";

/** Anything that turns a presented credential into a Principal or throws AuthError. */
export interface CredentialVerifier {
  verify(credential: string): Promise<Principal>;
}

/** What the audit layer hears about a refused request; never holds a token, key or hash. */
export interface AuthFailureEvent {
  reason: AuthErrorCode | "ORIGIN_NOT_ALLOWED" | "HOST_NOT_ALLOWED";
  status: number;
  /** The kind of credential presented, if any. */
  credential?: "bearer-jwt" | "api-key";
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
  /** OIDC access-token verifier; without it only API keys are accepted. */
  oidc?: CredentialVerifier;
  /** API key verifier; without it `rg_…` credentials are refused. */
  apiKeys?: CredentialVerifier;
  /** Absolute URL of the path-aware Protected Resource Metadata document, as this request reached the server. */
  resourceMetadataUrl: (c: Context<HttpEnv>) => string;
  /** Scopes a client should request at connect time (the `scope` of the 401 challenge). */
  challengeScopes: string[];
  /**
   * Failed authentications per client IP. Only a request whose credential fails is counted and, over the limit,
   * answered 429; a credential that verifies always passes (verification is local once the JWKS is cached, and
   * jose's JWKS cooldown bounds refetches for unknown `kid`s).
   */
  failedAuthLimiter?: RateLimiter;
  onAuthFailure?: (event: AuthFailureEvent) => void;
  onRateLimited?: (event: RateLimitedEvent) => void;
  logger?: Logger;
}

// Headers that carry credentials; removed before the request reaches the MCP handler.
const CREDENTIAL_HEADERS = ["authorization", "x-api-key", "proxy-authorization", "cookie"];

type Presented =
  | { kind: "none" }
  | { kind: "malformed"; credential: "bearer-jwt" | "api-key"; message: string }
  | { kind: "bearer-jwt" | "api-key"; value: string };

function presentedCredential(c: Context): Presented {
  const authorization = c.req.header("authorization");
  const apiKeyHeader = c.req.header("x-api-key");
  if (authorization !== undefined && apiKeyHeader !== undefined) {
    return {
      kind: "malformed",
      credential: "api-key",
      message: "send either Authorization or X-API-Key, not both",
    };
  }
  if (apiKeyHeader !== undefined) {
    const value = apiKeyHeader.trim();
    return looksLikeApiKey(value)
      ? { kind: "api-key", value }
      : { kind: "malformed", credential: "api-key", message: "the X-API-Key value is not a repogate key" };
  }
  if (authorization === undefined) return { kind: "none" };
  const match = /^Bearer(?:[ \t]+(.*))?$/i.exec(authorization.trim());
  // RFC 6750 §3.1: another scheme (Basic, …) is "no bearer credentials": challenge without an error code.
  if (!match) return { kind: "none" };
  const value = (match[1] ?? "").trim();
  if (value.length === 0)
    return { kind: "malformed", credential: "bearer-jwt", message: "the bearer token is empty" };
  if (/[\s,]/.test(value)) {
    return { kind: "malformed", credential: "bearer-jwt", message: "exactly one bearer token is expected" };
  }
  return { kind: looksLikeApiKey(value) ? "api-key" : "bearer-jwt", value };
}

/**
 * Whether a refusal counts against the caller's IP. An expired token passed signature verification, so it is
 * a client about to refresh, not a guess; counting it would let ordinary expiry behind one NAT or one cloud
 * egress (Claude's connector) lock out everyone else there.
 */
function countsAsFailedAttempt(code: AuthErrorCode): boolean {
  return code !== "INSUFFICIENT_SCOPE" && code !== "TOKEN_EXPIRED";
}

/** A copy of the request without credential headers, so nothing downstream can forward the caller's token. */
export function withoutCredentials(request: Request): Request {
  const headers = new Headers(request.headers);
  for (const name of CREDENTIAL_HEADERS) headers.delete(name);
  return new Request(request, { headers });
}

/**
 * Verifies the OIDC JWT or API key on every request and sets `principal`. No credential → 401 challenge;
 * a bad one → 401 `invalid_token`, or 429 once its IP has failed too often; IdP unreachable → 503.
 */
export function authenticate(options: AuthenticateOptions): MiddlewareHandler<HttpEnv> {
  const challenge = (c: Context<HttpEnv>, error?: { message: string }) =>
    bearerChallenge({
      resourceMetadataUrl: options.resourceMetadataUrl(c),
      scopes: options.challengeScopes,
      ...(error ? { error: "invalid_token" as const, errorDescription: error.message } : {}),
    });

  return async (c, next) => {
    const origin = requestOrigin(c);
    const { ip, requestId } = origin;
    const presented = presentedCredential(c);
    const credentialKind =
      presented.kind === "none"
        ? undefined
        : presented.kind === "malformed"
          ? presented.credential
          : presented.kind;
    const keyId = presented.kind === "api-key" ? apiKeyId(presented.value) : undefined;

    const report = (error: AuthError, status: number) =>
      options.onAuthFailure?.({
        reason: error.code,
        status,
        ...(credentialKind ? { credential: credentialKind } : {}),
        ...(keyId ? { apiKeyId: keyId } : {}),
        ...origin,
      });

    const refuse = (error: AuthError) => {
      const status = error.code === "INSUFFICIENT_SCOPE" ? 403 : 401;
      report(error, status);
      options.logger?.info(
        { requestId, ip, reason: error.code, credential: credentialKind, apiKeyId: keyId },
        "authentication refused",
      );
      if (error.code === "TOKEN_MISSING") {
        return c.json({ error: "unauthorized", error_description: "authentication required" }, 401, {
          "WWW-Authenticate": challenge(c),
        });
      }
      if (error.code === "INSUFFICIENT_SCOPE") {
        return c.json({ error: "insufficient_scope", error_description: error.message }, 403, {
          "WWW-Authenticate": bearerChallenge({
            resourceMetadataUrl: options.resourceMetadataUrl(c),
            scopes: options.challengeScopes,
            error: "insufficient_scope",
            errorDescription: error.message,
          }),
        });
      }
      return c.json({ error: "invalid_token", error_description: error.message }, 401, {
        "WWW-Authenticate": challenge(c, error),
      });
    };

    if (presented.kind === "none") {
      return refuse(new AuthError("TOKEN_MISSING", "no bearer token or API key was presented"));
    }

    let principal: Principal;
    try {
      if (presented.kind === "malformed") {
        throw new AuthError(
          presented.credential === "api-key" ? "API_KEY_INVALID" : "TOKEN_MALFORMED",
          presented.message,
        );
      }
      const verifier = presented.kind === "api-key" ? options.apiKeys : options.oidc;
      if (!verifier) {
        throw new AuthError(
          presented.kind === "api-key" ? "API_KEY_INVALID" : "TOKEN_MALFORMED",
          presented.kind === "api-key"
            ? "API keys are not accepted here"
            : "bearer tokens are not accepted here",
        );
      }
      principal = await verifier.verify(presented.value);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      if (isUpstreamAuthFailure(error)) {
        // Reported like a refusal (reason JWKS_UNAVAILABLE / API_KEYS_UNAVAILABLE, status 503), so metrics and the
        // audit trail show an identity-provider outage and an alarm can fire; it is not counted against the IP.
        report(error, 503);
        options.logger?.warn(
          {
            requestId,
            reason: error.code,
            cause: error.cause instanceof Error ? error.cause.message : undefined,
          },
          "credential check unavailable",
        );
        return c.json({ error: "temporarily_unavailable", error_description: error.message }, 503, {
          "Retry-After": "5",
        });
      }
      if (options.failedAuthLimiter && countsAsFailedAttempt(error.code)) {
        // Counted and checked in one step, after verification: only failing requests are ever refused here,
        // so one client retrying a bad token behind a shared NAT cannot lock out the valid users beside it.
        const decision = await options.failedAuthLimiter.consume(ip);
        if (!decision.allowed) {
          options.onRateLimited?.({
            limiter: "failed-auth",
            retryAfterSec: decision.retryAfterSec,
            ...origin,
          });
          return jsonRpcError(
            c,
            429,
            JSON_RPC_ERROR.serverError,
            `Too many failed authentications from this address, retry in ${decision.retryAfterSec} s`,
            { "Retry-After": String(decision.retryAfterSec) },
          );
        }
      }
      return refuse(error);
    }

    c.set("principal", principal);
    c.req.raw = withoutCredentials(c.req.raw);
    await next();
  };
}
