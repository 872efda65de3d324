/** Shared set-up for the GitHub emulator tests: a real emulator on port 0 in a temp data dir, and octokit clients. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import {
  type StartGitHubEmulatorOptions,
  startGitHubEmulator,
} from "../../wrangler-free-local/github/index.ts";

export type GitHubEmulator = Awaited<ReturnType<typeof startGitHubEmulator>>;

export interface EmulatorFixture {
  github: GitHubEmulator;
  privateKey: string;
  dataDir: string;
  /** An Octokit authenticated as the App (App JWTs from @octokit/auth-app). */
  appOctokit: Octokit;
  /** Mints a token through the App and returns an Octokit authenticated with it. */
  installationOctokit(
    installationId: number,
    body?: { repositories?: string[]; repository_ids?: number[]; permissions?: Record<string, string> },
  ): Promise<{ octokit: Octokit; token: string }>;
  stop(): Promise<void>;
}

/** Octokit warnings are expected in error-path tests; keep the output clean. */
export const quietLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Starts an emulator in a fresh temp data dir. */
export async function startFixture(
  options: Partial<Omit<StartGitHubEmulatorOptions, "dataDir">> = {},
): Promise<EmulatorFixture> {
  const dataDir = await mkdtemp(join(tmpdir(), "repogate-gh-emulator-"));
  const github = await startGitHubEmulator({ ...options, dataDir, port: 0 });
  const privateKey = await readFile(github.app.privateKeyPath, "utf8");
  const appOctokit = new Octokit({
    baseUrl: github.url,
    authStrategy: createAppAuth,
    auth: { appId: github.app.id, privateKey },
    log: quietLog,
  });
  return {
    github,
    privateKey,
    dataDir,
    appOctokit,
    async installationOctokit(installationId, body = {}) {
      const { data } = await appOctokit.request("POST /app/installations/{installation_id}/access_tokens", {
        installation_id: installationId,
        ...body,
      } as never);
      const token = (data as { token: string }).token;
      return { token, octokit: new Octokit({ baseUrl: github.url, auth: token, log: quietLog }) };
    },
    async stop() {
      await github.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs a request expected to fail and returns the octokit RequestError's status and body. */
export async function failure(promise: Promise<unknown>): Promise<{
  status: number;
  data: { message?: string; errors?: unknown[]; status?: string };
  headers: Record<string, string>;
}> {
  try {
    await promise;
  } catch (err) {
    const e = err as { status: number; response?: { data: unknown; headers: Record<string, string> } };
    return { status: e.status, data: (e.response?.data ?? {}) as never, headers: e.response?.headers ?? {} };
  }
  throw new Error("expected the request to fail, it succeeded");
}

/** Installation ids from seed/github-app.yaml. */
export const INSTALLATIONS = { mycompany: 2001, facebook: 2002, partnerOrg: 2003 } as const;
