/** Starts an emulator, mints the conformance tests' credentials through @octokit/auth-app, loads the description. */
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/core";
import { defaultSeedDir } from "../../wrangler-free-local/github/config/app-config.ts";
import { type EmulatorFixture, quietLog, startFixture } from "../github-emulator/harness.ts";
import type { CaseContext, CredentialName } from "./exchange.ts";
import { GitHubOpenApi } from "./openapi-validator.ts";

const BAD_JWT = "not-a-jwt";
const BAD_TOKEN = `ghs_${"0".repeat(36)}`;

export interface Conformance {
  fixture: EmulatorFixture;
  openapi: GitHubOpenApi;
  ctx: CaseContext;
}

/** An installation token minted through @octokit/auth-app (unmodified), narrowed as asked. */
async function installationToken(
  app: Octokit,
  installationId: number,
  options: { repositoryNames?: string[]; permissions?: Record<string, string> } = {},
): Promise<string> {
  const auth = (await app.auth({ type: "installation", installationId, ...options })) as { token: string };
  return auth.token;
}

/** The project's seed directory plus extra repository seeds (`owner__name.yaml` -> YAML), in a temp dir. */
async function seedDirWith(extraRepos: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "repogate-openapi-seed-"));
  await cp(defaultSeedDir, dir, { recursive: true });
  for (const [file, yaml] of Object.entries(extraRepos)) await writeFile(join(dir, "repos", file), yaml);
  return dir;
}

/** Everything a conformance test needs; call `fixture.stop()` when done. */
export async function startConformance(
  options: { extraSeedRepos?: Record<string, string> } = {},
): Promise<Conformance> {
  const seedDir = options.extraSeedRepos ? await seedDirWith(options.extraSeedRepos) : undefined;
  // Load the description while the emulator builds its repositories: both take about a second.
  const [started, openapi] = await Promise.all([
    startFixture(seedDir ? { seedDir } : {}),
    Promise.resolve().then(() => GitHubOpenApi.load()),
  ]);
  const fixture: EmulatorFixture = {
    ...started,
    async stop() {
      await started.stop();
      if (seedDir) await rm(seedDir, { recursive: true, force: true });
    },
  };
  const { github, privateKey } = fixture;
  const app = new Octokit({
    baseUrl: github.url,
    authStrategy: createAppAuth,
    auth: { appId: github.app.id, privateKey },
    log: quietLog,
  });
  const appJwt = async () => ((await app.auth({ type: "app" })) as { token: string }).token;
  const revoked = await installationToken(app, 2001, { repositoryNames: ["api-server"] });
  const revocation = await fetch(`${github.url}/installation/token`, {
    method: "DELETE",
    headers: { authorization: `token ${revoked}` },
  });
  if (revocation.status !== 204) throw new Error(`revoking a token answered ${revocation.status}`);
  const fixed: Partial<Record<CredentialName, string>> = {
    all: await installationToken(app, 2001),
    web: await installationToken(app, 2001, { repositoryNames: ["web"] }),
    react: await installationToken(app, 2002),
    partner: await installationToken(app, 2003),
    "metadata-only": await installationToken(app, 2001, {
      repositoryNames: ["web"],
      permissions: { metadata: "read" },
    }),
    revoked,
  };
  const authorization = async (credential: CredentialName): Promise<string | undefined> => {
    switch (credential) {
      case "none":
        return undefined;
      case "app":
        return `Bearer ${await appJwt()}`;
      case "bad-jwt":
        return `Bearer ${BAD_JWT}`;
      case "bad-token":
        return `token ${BAD_TOKEN}`;
      case "fresh": {
        // A token nobody else holds, so revoking it cannot disturb other rows (auth-app would cache it).
        const minted = await fetch(`${github.url}/app/installations/2001/access_tokens`, {
          method: "POST",
          headers: { authorization: `Bearer ${await appJwt()}`, "content-type": "application/json" },
          body: JSON.stringify({ repositories: ["web"] }),
        });
        return `token ${((await minted.json()) as { token: string }).token}`;
      }
      default:
        return `token ${fixed[credential]}`;
    }
  };

  const web = github.store.getRepository("mycompany", "web");
  if (!web) throw new Error("seed repository mycompany/web is missing");
  const webMainSha = await github.store.resolveCommit(web, "main");
  const mainCommit = webMainSha ? await github.store.getCommit(web, webMainSha) : undefined;
  if (!webMainSha || !mainCommit) throw new Error("mycompany/web has no main branch");
  const ctx: CaseContext = {
    github,
    webMainSha,
    webRootTreeSha: mainCommit.treeSha,
    webRepoId: web.id,
    async fetchWith(credential, path, init = {}) {
      const headers = new Headers(init.headers);
      const value = await authorization(credential);
      if (value) headers.set("authorization", value);
      headers.set("x-github-api-version", "2022-11-28");
      headers.set("user-agent", "repogate-openapi-conformance");
      return fetch(`${github.url}${path}`, { ...init, headers });
    },
  };
  return { fixture, openapi, ctx };
}
