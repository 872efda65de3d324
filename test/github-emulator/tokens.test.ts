import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitHubEmulatorApp, tokenFingerprint } from "../../wrangler-free-local/github/index.ts";
import { type EmulatorFixture, failure, INSTALLATIONS, quietLog, startFixture } from "./harness.ts";

let fx: EmulatorFixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx?.stop();
});

function mint(installationId: number, body: Record<string, unknown>) {
  return fx.appOctokit.request("POST /app/installations/{installation_id}/access_tokens", {
    installation_id: installationId,
    ...body,
  });
}

describe("installation access tokens", () => {
  it("mints a token narrowed to one repository that reads it and sees no other", async () => {
    const res = await mint(INSTALLATIONS.mycompany, {
      repositories: ["web"],
      permissions: { contents: "read" },
    });
    expect(res.status).toBe(201);
    expect(res.data.token).toMatch(/^ghs_[0-9A-Za-z]{36}$/);
    expect(res.data.repository_selection).toBe("selected");
    expect(res.data.permissions).toEqual({ contents: "read" });
    expect(res.data.repositories?.map((r) => r.full_name)).toEqual(["mycompany/web"]);
    const expiresIn = Date.parse(res.data.expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(59 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(60 * 60_000);

    const octokit = new Octokit({ baseUrl: fx.github.url, auth: res.data.token, log: quietLog });
    const readme = await octokit.rest.repos.getReadme({ owner: "mycompany", repo: "web" });
    expect(readme.data.path).toBe("README.md");
    expect(Buffer.from(readme.data.content, "base64").toString("utf8")).toContain("# web");

    const other = await failure(octokit.rest.repos.getReadme({ owner: "mycompany", repo: "api-server" }));
    expect(other.status).toBe(404);
    expect(other.data.message).toBe("Not Found");
    const listed = await octokit.rest.apps.listReposAccessibleToInstallation();
    expect(listed.data.repositories.map((r) => r.full_name)).toEqual(["mycompany/web"]);
  });

  it("refuses a repository it was not minted for on every repository route (404), search included", async () => {
    const { token, octokit } = await fx.installationOctokit(INSTALLATIONS.mycompany, {
      repositories: ["web"],
    });
    // Every route the emulator registers under /repos/{owner}/{repo}, so a route added without the check fails here.
    const { state } = fx.github;
    const { app } = createGitHubEmulatorApp({
      config: state.config,
      publicKey: state.publicKey,
      store: state.store,
    });
    const sample: Record<string, string> = {
      owner: "mycompany",
      repo: "api-server",
      path: "README.md",
      ref: "heads/main", // `/git/ref/{ref}` wants `heads/…`; `/commits/{ref}` accepts it too
      branch: "main",
      sha: "main",
      dir: "src", // no README there in web: the positive check below skips `/readme/{dir}`
      basehead: "main...main",
    };
    const routes = app.routes
      // `/installation` is an App endpoint: an installation token gets 401 there, tested in app-auth.
      .filter((r) => r.path.startsWith("/repos/:owner/:repo/") || r.path === "/repos/:owner/:repo")
      .filter((r) => r.method !== "ALL" && r.path !== "/repos/:owner/:repo/installation")
      .map((r) => ({
        method: r.method,
        path: r.path.replace(/:([a-z]+)(\{[^}]*\})?/gi, (_, name: string) => sample[name] ?? "x"),
      }));
    expect(routes.length).toBeGreaterThan(20);
    for (const route of routes) {
      const res = await fetch(`${fx.github.url}${route.path}`, {
        method: route.method,
        headers: { authorization: `token ${token}` },
      });
      expect({ ...route, status: res.status }).toEqual({ ...route, status: 404 });
      // The same path on the repository the token covers is not a 404 (the sample values exist there).
      if (route.method === "GET" && !route.path.includes("/readme/")) {
        const own = await fetch(`${fx.github.url}${route.path.replace("/api-server", "/web")}`, {
          headers: { authorization: `token ${token}` },
        });
        expect({ ...route, own: own.status === 404 }).toEqual({ ...route, own: false });
      }
    }
    const search = await failure(octokit.rest.search.code({ q: "func repo:mycompany/api-server" }));
    expect(search.status).toBe(422);
    const orgWide = await octokit.rest.search.code({ q: "func org:mycompany", per_page: 100 });
    expect(orgWide.data.total_count).toBeGreaterThan(0);
    expect(new Set(orgWide.data.items.map((i) => i.repository.full_name))).toEqual(
      new Set(["mycompany/web"]),
    );
  });

  it("narrows by repository_ids too", async () => {
    const repo = fx.github.store.getRepository("mycompany", "api-server");
    const res = await mint(INSTALLATIONS.mycompany, { repository_ids: [repo?.id] });
    expect(res.data.repositories?.map((r) => r.name)).toEqual(["api-server"]);
  });

  it("without repositories covers the whole installation, as on GitHub", async () => {
    const res = await mint(INSTALLATIONS.mycompany, {});
    expect(res.data.repository_selection).toBe("all");
    expect(res.data.repositories).toBeUndefined();
    expect(res.data.permissions).toEqual({ contents: "read", metadata: "read" });
    const octokit = new Octokit({ baseUrl: fx.github.url, auth: res.data.token, log: quietLog });
    const listed = await octokit.rest.apps.listReposAccessibleToInstallation();
    const names = listed.data.repositories.map((r) => r.full_name).sort();
    const expected = fx.github.store
      .listRepositories()
      .filter((r) => r.owner === "mycompany")
      .map((r) => r.fullName)
      .sort();
    expect(names).toEqual(expected);
    expect(names.length).toBeGreaterThan(1);
    const api = await octokit.rest.repos.get({ owner: "mycompany", repo: "api-server" });
    expect(api.data.full_name).toBe("mycompany/api-server");
  });

  it("refuses repositories outside the installation with 422", async () => {
    const notSelected = await failure(mint(INSTALLATIONS.partnerOrg, { repositories: ["private-tools"] }));
    expect(notSelected.status).toBe(422);
    expect(notSelected.data.message).toMatch(/not accessible to the parent installation/);
    const otherOwner = await failure(mint(INSTALLATIONS.mycompany, { repositories: ["react"] }));
    expect(otherOwner.status).toBe(422);
    const missingId = await failure(mint(INSTALLATIONS.mycompany, { repository_ids: [1] }));
    expect(missingId.status).toBe(422);
  });

  it("refuses permissions above the installation's grant with 422", async () => {
    const write = await failure(mint(INSTALLATIONS.partnerOrg, { permissions: { contents: "write" } }));
    expect(write.status).toBe(422);
    expect(write.data.message).toBe("The permissions requested are not granted to this installation.");
    const ungranted = await failure(mint(INSTALLATIONS.mycompany, { permissions: { issues: "read" } }));
    expect(ungranted.status).toBe(422);
  });

  it("answers 404 for an unknown installation", async () => {
    const res = await failure(mint(424242, {}));
    expect(res.status).toBe(404);
  });

  it("revokes a token with DELETE /installation/token; it is then 401 Bad credentials", async () => {
    const { octokit, token } = await fx.installationOctokit(INSTALLATIONS.facebook, {
      repositories: ["react"],
    });
    await octokit.rest.repos.get({ owner: "facebook", repo: "react" });
    const revoked = await octokit.request("DELETE /installation/token");
    expect(revoked.status).toBe(204);
    const after = await failure(octokit.rest.repos.get({ owner: "facebook", repo: "react" }));
    expect(after.status).toBe(401);
    expect(after.data).toEqual({
      message: "Bad credentials",
      documentation_url: "https://docs.github.com/rest",
      status: "401",
    });
    const revocation = fx.github.log.revocations.at(-1);
    expect(revocation?.tokenFingerprint).toBe(tokenFingerprint(token));
    expect(revocation?.installationId).toBe(INSTALLATIONS.facebook);
  });

  it("answers unknown tokens and missing credentials with 401", async () => {
    const bogus = new Octokit({ baseUrl: fx.github.url, auth: "ghs_notAToken", log: quietLog });
    expect((await failure(bogus.rest.repos.get({ owner: "facebook", repo: "react" }))).status).toBe(401);
    const anonymous = new Octokit({ baseUrl: fx.github.url, log: quietLog });
    const res = await failure(anonymous.rest.repos.get({ owner: "facebook", repo: "react" }));
    expect(res.status).toBe(401);
  });

  it("gives a metadata-only token the repository but not its contents (403)", async () => {
    const { octokit } = await fx.installationOctokit(INSTALLATIONS.mycompany, {
      repositories: ["web"],
      permissions: { metadata: "read" },
    });
    expect((await octokit.rest.repos.get({ owner: "mycompany", repo: "web" })).status).toBe(200);
    const readme = await failure(octokit.rest.repos.getReadme({ owner: "mycompany", repo: "web" }));
    expect(readme.status).toBe(403);
    expect(readme.data.message).toBe("Resource not accessible by integration");
    expect(readme.headers["x-accepted-github-permissions"]).toBe("contents=read");
    const search = await failure(octokit.rest.search.code({ q: "import repo:mycompany/web" }));
    expect(search.status).toBe(403);
  });

  it("refuses a write with a read token: 403 Resource not accessible by integration", async () => {
    const { octokit } = await fx.installationOctokit(INSTALLATIONS.mycompany, { repositories: ["web"] });
    const put = await failure(
      octokit.rest.repos.createOrUpdateFileContents({
        owner: "mycompany",
        repo: "web",
        path: "x.txt",
        message: "x",
        content: "eA==",
      }),
    );
    expect(put.status).toBe(403);
    expect(put.data.message).toBe("Resource not accessible by integration");
    const ref = await failure(
      octokit.rest.git.createRef({
        owner: "mycompany",
        repo: "web",
        ref: "refs/heads/x",
        sha: "a".repeat(40),
      }),
    );
    expect(ref.status).toBe(403);
    // A repository the token does not cover stays invisible, even for writes.
    const unseen = await failure(
      octokit.rest.git.createRef({
        owner: "mycompany",
        repo: "api-server",
        ref: "refs/heads/x",
        sha: "a".repeat(40),
      }),
    );
    expect(unseen.status).toBe(404);
  });

  it("records each mint with fingerprint, repositories and permissions, never the token", async () => {
    const { token } = await fx.installationOctokit(INSTALLATIONS.facebook, {
      repositories: ["react"],
      permissions: { contents: "read", metadata: "read" },
    });
    const mintEntry = fx.github.log.mints.at(-1);
    expect(mintEntry).toMatchObject({
      installationId: INSTALLATIONS.facebook,
      repositories: ["facebook/react"],
      narrowed: true,
      permissions: { contents: "read", metadata: "read" },
      tokenFingerprint: tokenFingerprint(token),
    });
    expect(mintEntry?.tokenFingerprint).toMatch(/^[0-9a-f]{12}$/);
    const over = await fetch(`${fx.github.url}/_emulator/tokens`);
    const text = await over.text();
    expect(text).toContain(tokenFingerprint(token));
    expect(text).not.toContain(token);
    expect(text).not.toMatch(/ghs_/);
    expect(JSON.stringify(fx.github.log.snapshot())).not.toMatch(/ghs_/);
  });
});

describe("stateless token format", () => {
  it("issues ghs_<appId>_<JWT> tokens that work like classic ones", async () => {
    const stateless = await startFixture({ tokenFormat: "stateless" });
    try {
      const { octokit, token } = await stateless.installationOctokit(INSTALLATIONS.facebook, {
        repositories: ["react"],
      });
      expect(token).toMatch(/^ghs_1001_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      expect((await octokit.rest.repos.get({ owner: "facebook", repo: "react" })).status).toBe(200);
      await octokit.request("DELETE /installation/token");
      expect((await failure(octokit.rest.repos.get({ owner: "facebook", repo: "react" }))).status).toBe(401);
    } finally {
      await stateless.stop();
    }
  });
});
