import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from "jose";
import { afterAll, beforeAll } from "vitest";
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

/** The file's dev IdP, for tests that restart it. */
export interface TestIdpHandle {
  /** Stops the IdP and starts a new one on the same data dir (on a new port), handing it to `onStart`. */
  restart(): Promise<void>;
}

/**
 * One dev IdP for the whole test file in a fresh data dir: started before the first test (handed to `onStart`
 * with its data dir), stopped and its data dir removed after the last.
 */
export function useTestIdp(
  onStart: (idp: RunningDevIdp, dataDir: string) => void | Promise<void>,
  options: Partial<StartDevIdpOptions> = {},
): TestIdpHandle {
  let dataDir = "";
  let idp: RunningDevIdp | undefined;
  const start = async () => {
    idp = await startTestIdp(dataDir, options);
    await onStart(idp, dataDir);
  };
  beforeAll(async () => {
    dataDir = await makeDataDir();
    await start();
  });
  afterAll(async () => {
    await idp?.close();
    if (dataDir) await removeDataDir(dataDir);
  });
  return {
    async restart() {
      const running = idp;
      idp = undefined;
      await running?.close();
      await start();
    },
  };
}

/** Redeems a refresh token as the `repogate-cli` client at the IdP's token endpoint (extra form fields appended). */
export async function postRefreshGrant(
  issuer: string,
  refreshToken: string,
  extra: Record<string, string> = {},
): Promise<Response> {
  return await fetch(`${issuer}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: refreshToken,
      client_id: "repogate-cli",
      ...extra,
    }),
  });
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
