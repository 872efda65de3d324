import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from "jose";
import {
  type RunningDevIdp,
  type StartDevIdpOptions,
  startDevIdp,
} from "../../wrangler-free-local/idp/index.ts";

/** The broker resource the test IdPs issue tokens for (nothing needs to listen there). */
export const RESOURCE = "http://127.0.0.1:8700/mcp";

/** A fresh data directory under the OS temp dir. */
export async function makeDataDir(): Promise<string> {
  return await mkdtemp(path.join(tmpdir(), "repogate-idp-"));
}

/** Removes a data directory made by makeDataDir. */
export async function removeDataDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Starts a dev IdP on a free port with the seed users. */
export async function startTestIdp(
  dataDir: string,
  options: Partial<StartDevIdpOptions> = {},
): Promise<RunningDevIdp> {
  return await startDevIdp({ port: 0, dataDir, resourceUrls: [RESOURCE], ...options });
}

/** Verifies an access token the way the broker will: remote JWKS from discovery, pinned RS256. */
export async function verifyAccessToken(
  issuer: string,
  token: string,
  audience: string = RESOURCE,
): Promise<JWTPayload & { email?: string; groups?: string[]; scope?: string; client_id?: string }> {
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
    jwks_uri: string;
  };
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
  const { payload } = await jwtVerify(token, jwks, {
    issuer,
    audience,
    algorithms: ["RS256"],
    requiredClaims: ["exp", "iat", "sub", "jti"],
  });
  return payload;
}
