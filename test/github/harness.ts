/** Shared set-up for the broker tests: real emulators in temp data dirs, on port 0. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import {
  createGitHubClients,
  type GitHubClientsOptions,
  type TokenCallRecord,
  type TokenGrant,
  type TokenRevocation,
} from "../../src/github/index.ts";
import { PemAppJwtSigner } from "../../src/github/pem-signer.ts";
import { startGitHubEmulator } from "../../wrangler-free-local/github/index.ts";

export type GitHubEmulator = Awaited<ReturnType<typeof startGitHubEmulator>>;

/** Octokit warnings go nowhere in tests; errors are still thrown to the test. */
export const silentLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function startGitHub(dataDir: string): Promise<GitHubEmulator> {
  return startGitHubEmulator({ dataDir, port: 0 });
}

/**
 * One emulator for the whole test file in its own temp dir: started before the first test (handed to `onStart`),
 * its faults and request log cleared after each test, stopped and removed after the last.
 */
export function useGitHubEmulator(prefix: string, onStart: (github: GitHubEmulator) => void): void {
  let github: GitHubEmulator | undefined;
  let dir: { path: string; remove: () => Promise<void> } | undefined;
  beforeAll(async () => {
    dir = await tempDir(prefix);
    github = await startGitHub(dir.path);
    onStart(github);
  });
  afterAll(async () => {
    await github?.close();
    await dir?.remove();
  });
  afterEach(() => {
    github?.faults.clear();
    github?.log.reset();
  });
}

/** Broker options against the emulator, without a signer; retries are fast so fault tests stay quick. */
export function emulatorBrokerOptions(github: GitHubEmulator) {
  return {
    appId: github.app.id,
    clientId: github.app.clientId,
    baseUrl: github.url,
    retries: 2,
    retryAfterBaseMs: 5,
    log: silentLog,
  } satisfies Partial<GitHubClientsOptions>;
}

/** A broker against the emulator, signing with the emulator's generated App key. */
export async function brokerFor(github: GitHubEmulator, overrides: Partial<GitHubClientsOptions> = {}) {
  const signer = new PemAppJwtSigner(await readFile(github.app.privateKeyPath, "utf8"), "emulator key");
  return createGitHubClients({ ...emulatorBrokerOptions(github), signer, ...overrides });
}

/** A tool call's record that keeps what the broker reported to it, in order. */
export interface RecordingCall extends TokenCallRecord {
  readonly grants: TokenGrant[];
  readonly revocations: TokenRevocation[];
  readonly revokeFailures: Array<{ error: unknown; revocation: TokenRevocation }>;
}

/**
 * A `TokenCallRecord` for tests. Each method first runs the given behaviour (a slow write, a refusal) and keeps
 * the fact only once that has resolved, like a record that has made it durable: a `granted` that throws keeps
 * no grant.
 */
export function recordingCall(behaviour: Partial<TokenCallRecord> = {}): RecordingCall {
  const call: RecordingCall = {
    grants: [],
    revocations: [],
    revokeFailures: [],
    beforeMint: async () => {
      await behaviour.beforeMint?.();
    },
    assertMintable: () => {
      behaviour.assertMintable?.();
    },
    granted: async (grant) => {
      await behaviour.granted?.(grant);
      call.grants.push(grant);
    },
    revoked: async (revocation) => {
      await behaviour.revoked?.(revocation);
      call.revocations.push(revocation);
    },
    revokeFailed: async (error, revocation) => {
      await behaviour.revokeFailed?.(error, revocation);
      call.revokeFailures.push({ error, revocation });
    },
  };
  return call;
}

/** Grabs the token value an octokit was given, only to prove the broker never leaks it. */
export async function tokenOf(octokit: { auth: () => Promise<unknown> }): Promise<string> {
  return ((await octokit.auth()) as { token: string }).token;
}

/** Installation tokens in any format GitHub uses, including the stateless `ghs_APPID_JWT` one. */
export const TOKEN_PATTERN = /ghs_[A-Za-z0-9_.-]+/;

/** Everything an error could expose when logged or sent: JSON, message, stack, own properties, cause chain. */
export function serializeError(error: unknown): string {
  const seen = new Set<unknown>();
  const parts: string[] = [];
  let current: unknown = error;
  while (current && !seen.has(current)) {
    seen.add(current);
    if (current instanceof Error) {
      parts.push(current.message, current.stack ?? "");
      for (const key of Object.getOwnPropertyNames(current)) {
        try {
          parts.push(JSON.stringify((current as unknown as Record<string, unknown>)[key]) ?? "");
        } catch (jsonError) {
          parts.push(`[${key}: ${(jsonError as Error).message}]`);
        }
      }
      current = (current as { cause?: unknown }).cause;
    } else {
      parts.push(JSON.stringify(current) ?? String(current));
      current = undefined;
    }
  }
  try {
    parts.push(JSON.stringify(error) ?? "");
  } catch (jsonError) {
    parts.push((jsonError as Error).message);
  }
  return parts.join("\n");
}
