import { looksLikeApiKey } from "./api-keys.ts";
import { AuthError } from "./errors.ts";
import type { Principal } from "./principal.ts";

/** Anything that turns a presented credential into a Principal or throws AuthError. */
export interface CredentialVerifier {
  verify(credential: string): Promise<Principal>;
}

/** The verifiers a credential may be checked with; a kind without one is refused. */
export interface CredentialVerifiers {
  /** OIDC access-token verifier. */
  oidc?: CredentialVerifier;
  /** API key verifier; without it `rg_…` credentials are refused. */
  apiKeys?: CredentialVerifier;
}

/** The kinds of credential a request can carry. */
export type CredentialKind = "bearer-jwt" | "api-key";

/** What a request presented, read from its headers before anything is verified. */
export type PresentedCredential =
  | { kind: "none" }
  | { kind: CredentialKind; value: string }
  /** Present but unusable (two headers, an empty bearer, …): refused without asking a verifier. */
  | { kind: CredentialKind; malformed: string };

/** Reads the credential from `Authorization: Bearer …` or `X-API-Key`, the only places one is accepted. */
export function readCredential(headers: Headers): PresentedCredential {
  const authorization = headers.get("authorization");
  const apiKeyHeader = headers.get("x-api-key");
  if (authorization !== null && apiKeyHeader !== null) {
    return { kind: "api-key", malformed: "send either Authorization or X-API-Key, not both" };
  }
  if (apiKeyHeader !== null) {
    const value = apiKeyHeader.trim();
    return looksLikeApiKey(value)
      ? { kind: "api-key", value }
      : { kind: "api-key", malformed: "the X-API-Key value is not a repogate key" };
  }
  if (authorization === null) return { kind: "none" };
  const match = /^Bearer(?:[ \t]+(.*))?$/i.exec(authorization.trim());
  // RFC 6750 §3.1: another scheme (Basic, …) is "no bearer credentials": challenge without an error code.
  if (!match) return { kind: "none" };
  const value = (match[1] ?? "").trim();
  if (value.length === 0) return { kind: "bearer-jwt", malformed: "the bearer token is empty" };
  if (/[\s,]/.test(value)) return { kind: "bearer-jwt", malformed: "exactly one bearer token is expected" };
  return { kind: looksLikeApiKey(value) ? "api-key" : "bearer-jwt", value };
}

/**
 * The principal behind a presented credential: an OIDC access token or a repogate API key, checked by its
 * verifier. Throws AuthError for every refusal, TOKEN_MISSING included, so one place maps them to responses.
 */
export async function verifyCredential(
  presented: PresentedCredential,
  verifiers: CredentialVerifiers,
): Promise<Principal> {
  if (presented.kind === "none") {
    throw new AuthError("TOKEN_MISSING", "no bearer token or API key was presented");
  }
  const refusedCode = presented.kind === "api-key" ? "API_KEY_INVALID" : "TOKEN_MALFORMED";
  if ("malformed" in presented) throw new AuthError(refusedCode, presented.malformed);
  const verifier = presented.kind === "api-key" ? verifiers.apiKeys : verifiers.oidc;
  if (!verifier) {
    throw new AuthError(
      refusedCode,
      presented.kind === "api-key" ? "API keys are not accepted here" : "bearer tokens are not accepted here",
    );
  }
  return await verifier.verify(presented.value);
}

/** The scopes of `required` the principal does not hold (empty when it may go on). */
export function missingScopes(principal: Principal, required: readonly string[]): string[] {
  const held = new Set(principal.scopes);
  return required.filter((scope) => !held.has(scope));
}
