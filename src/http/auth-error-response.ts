import { type AuthError, isUpstreamAuthFailure } from "../auth/errors.ts";
import { bearerChallenge } from "./challenge.ts";

/** What every challenge names: where discovery starts, and the scopes to ask for. */
export interface ChallengeContext {
  /** Absolute URL of the path-aware Protected Resource Metadata document, as this request reached the server. */
  resourceMetadataUrl: string;
  /** Scopes to request (`scope=`): the connect-time scopes, plus the held ones on a 403. */
  scopes: string[];
}

/** Seconds a client should wait before retrying while the identity provider or key store is unreachable. */
const UPSTREAM_RETRY_AFTER_SEC = 5;

/**
 * The status an authentication error is answered with: 503 when the identity provider or the key store is at
 * fault (not the caller), 403 for a valid credential without the needed scope, 401 for everything else.
 */
export function authErrorStatus(error: AuthError): 401 | 403 | 503 {
  if (isUpstreamAuthFailure(error)) return 503;
  return error.code === "INSUFFICIENT_SCOPE" ? 403 : 401;
}

/**
 * The one mapping of an AuthError to its HTTP answer (RFC 6750 §3, RFC 9728 §5.1): no credential → 401 with a
 * bare challenge; a bad one → 401 `invalid_token`; missing scope → 403 `insufficient_scope`; IdP or key store
 * unreachable → 503 with Retry-After and no challenge, since re-authenticating would not help.
 */
export function authErrorResponse(error: AuthError, challenge: ChallengeContext): Response {
  const status = authErrorStatus(error);
  if (status === 503) {
    return Response.json(
      { error: "temporarily_unavailable", error_description: error.message },
      { status, headers: { "Retry-After": String(UPSTREAM_RETRY_AFTER_SEC) } },
    );
  }
  if (error.code === "TOKEN_MISSING") {
    return Response.json(
      { error: "unauthorized", error_description: "authentication required" },
      { status, headers: { "WWW-Authenticate": bearerChallenge(challenge) } },
    );
  }
  const code = status === 403 ? "insufficient_scope" : "invalid_token";
  return Response.json(
    { error: code, error_description: error.message },
    {
      status,
      headers: {
        "WWW-Authenticate": bearerChallenge({ ...challenge, error: code, errorDescription: error.message }),
      },
    },
  );
}
