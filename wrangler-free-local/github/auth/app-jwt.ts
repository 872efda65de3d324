/**
 * App JWT verification as GitHub applies it: RS256 signed by the App's key, `iss` the App id (number
 * or string) or client id, `iat`/`exp` present, `exp - iat` at most 10 minutes, not expired. Each
 * rejection carries the message api.github.com sends for it.
 */
import type { KeyObject } from "node:crypto";
import { compactVerify, decodeJwt, decodeProtectedHeader, type JWTPayload } from "jose";
import { jwtRejected } from "../http/errors.ts";

export const JWT_MESSAGES = {
  undecodable: "A JSON web token could not be decoded",
  missingIssuer: "Missing 'issuer' claim ('iss') in assertion",
  unknownIntegration: "Integration not found",
  badIssuedAt:
    "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
  badExpiration:
    "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
  expirationTooFar: "'Expiration time' claim ('exp') is too far in the future",
} as const;

/** GitHub's maximum App JWT lifetime. */
export const MAX_JWT_LIFETIME_SECONDS = 600;
/** Clock drift tolerated between the client and the emulator. */
export const CLOCK_SKEW_SECONDS = 60;

export interface AppIdentity {
  id: number;
  clientId: string;
}

/** Whether a credential is shaped like a JWT (three base64url segments) rather than a token. */
export function looksLikeJwt(credential: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(credential);
}

/** Verifies an App JWT; resolves with its payload or throws a 401 GitHubApiError with GitHub's message. */
export async function verifyAppJwt(
  jwt: string,
  app: AppIdentity,
  publicKey: KeyObject | readonly KeyObject[],
  nowMs = Date.now(),
): Promise<JWTPayload> {
  let payload: JWTPayload;
  try {
    const header = decodeProtectedHeader(jwt);
    if (header.alg !== "RS256") throw jwtRejected(JWT_MESSAGES.undecodable);
    payload = decodeJwt(jwt);
  } catch {
    // Any decoding failure is the same answer on GitHub; the cause is not echoed to the caller.
    throw jwtRejected(JWT_MESSAGES.undecodable);
  }
  const iss = payload.iss as unknown;
  if (iss === undefined || iss === null || iss === "") throw jwtRejected(JWT_MESSAGES.missingIssuer);
  const matchesApp =
    (typeof iss === "number" && iss === app.id) ||
    (typeof iss === "string" && (iss === String(app.id) || iss === app.clientId));
  if (!matchesApp) throw jwtRejected(JWT_MESSAGES.unknownIntegration);

  // An App may have several active keys (rotation); a signature by any of them is accepted.
  const keys = Array.isArray(publicKey) ? publicKey : [publicKey as KeyObject];
  let verified = false;
  for (const key of keys) {
    try {
      await compactVerify(jwt, key, { algorithms: ["RS256"] });
      verified = true;
      break;
    } catch {
      // try the next key
    }
  }
  if (!verified) throw jwtRejected(JWT_MESSAGES.undecodable);

  const now = Math.floor(nowMs / 1000);
  const { iat, exp } = payload as { iat?: unknown; exp?: unknown };
  if (typeof iat !== "number" || !Number.isInteger(iat) || iat > now + CLOCK_SKEW_SECONDS) {
    throw jwtRejected(JWT_MESSAGES.badIssuedAt);
  }
  if (typeof exp !== "number" || !Number.isFinite(exp) || exp + CLOCK_SKEW_SECONDS <= now) {
    throw jwtRejected(JWT_MESSAGES.badExpiration);
  }
  if (exp - iat > MAX_JWT_LIFETIME_SECONDS || exp > now + MAX_JWT_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) {
    throw jwtRejected(JWT_MESSAGES.expirationTooFar);
  }
  return payload;
}
