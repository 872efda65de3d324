/** Stable reasons an authentication attempt fails; the HTTP layer maps each to a status and challenge. */
export type AuthErrorCode =
  | "TOKEN_MISSING"
  | "TOKEN_MALFORMED"
  | "TOKEN_EXPIRED"
  | "TOKEN_INVALID_SIGNATURE"
  | "TOKEN_WRONG_AUDIENCE"
  | "TOKEN_WRONG_ISSUER"
  | "TOKEN_TOO_LARGE"
  | "TOKEN_IS_ID_TOKEN"
  | "TOKEN_WRONG_TYPE"
  | "TOKEN_CLAIMS_INVALID"
  | "INSUFFICIENT_SCOPE"
  | "JWKS_UNAVAILABLE"
  | "API_KEY_INVALID"
  | "API_KEYS_UNAVAILABLE";

/**
 * An authentication failure. The message is safe to show to the caller and to log: it never contains
 * the token, the API key, a hash of either, or verification internals such as the JWKS URL.
 */
export class AuthError extends Error {
  readonly code: AuthErrorCode;

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AuthError";
    this.code = code;
  }
}

/** Whether the failure is the identity provider's fault (answer 503) rather than the caller's (401/403). */
export function isUpstreamAuthFailure(error: AuthError): boolean {
  return error.code === "JWKS_UNAVAILABLE" || error.code === "API_KEYS_UNAVAILABLE";
}
