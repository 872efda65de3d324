import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRepoStore } from "../../wrangler-free-local/github/store/index.ts";
import type { RepositoryRecord } from "../../wrangler-free-local/github/store/types.ts";
import { openSeededStore, repo } from "./seeded-store.ts";

let store: LocalRepoStore;
let web: RepositoryRecord;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, cleanup } = await openSeededStore());
  web = repo(store, "mycompany/web");
});
afterAll(async () => {
  await cleanup();
});

describe("repository records", () => {
  // How long the build takes is a benchmark's business (bench/), not a wall-clock bound in a test.
  it("builds every seed", () => {
    expect(store.rebuilt).toHaveLength(store.listRepositories().length);
    expect(
      store
        .listRepositories()
        .map((r) => r.fullName)
        .sort(),
    ).toEqual([
      "facebook/react",
      "mycompany/api-server",
      "mycompany/secrets-vault",
      "mycompany/web",
      "othercorp/secret",
      "partner-org/private-tools",
      "partner-org/shared-sdk",
    ]);
  });

  it("looks repositories up case-insensitively and by deterministic id", () => {
    expect(store.getRepository("MyCompany", "WEB")?.fullName).toBe("mycompany/web");
    expect(store.getRepository("mycompany", "nope")).toBeUndefined();
    expect(store.getRepositoryById(web.id)).toBe(web);
    expect(web.id).toBeGreaterThan(0);
    expect(web.id).toBeLessThan(2 ** 31);
    expect(web.ownerId).toBe(repo(store, "mycompany/api-server").ownerId);
    expect(web.ownerId).not.toBe(repo(store, "facebook/react").ownerId);
    expect(web).toMatchObject({
      owner: "mycompany",
      name: "web",
      ownerType: "Organization",
      private: true,
      defaultBranch: "main",
      createdAt: "2024-01-08T09:00:00Z",
    });
    expect(web.pushedAt >= web.createdAt).toBe(true);
  });
});

describe("refs", () => {
  it("lists branches and tags of mycompany/web with commit shas", async () => {
    const branches = await store.listBranches(web);
    expect(branches.map((b) => b.name)).toEqual([
      "feature/dark-mode",
      "feature/x",
      "gh-pages",
      "hotfix/1.0.1",
      "main",
      "stable",
    ]);
    for (const b of branches) expect(b.sha).toMatch(/^[0-9a-f]{40}$/);
    const tags = await store.listTags(web);
    expect(tags.map((t) => t.name)).toEqual(["v0.9.0", "v1.0.0"]);
    // v1.0.0 is annotated: the listing reports the peeled commit, which stable points at.
    const stable = branches.find((b) => b.name === "stable")?.sha;
    expect(tags.find((t) => t.name === "v1.0.0")?.sha).toBe(stable);
  });

  it("resolves branches, tags, full and short shas; rejects garbage and injection attempts", async () => {
    const main = await store.resolveCommit(web, "main");
    expect(main).toMatch(/^[0-9a-f]{40}$/);
    expect(await store.resolveCommit(web, "refs/heads/main")).toBe(main);
    expect(await store.resolveCommit(web, "v1.0.0")).toBe(await store.resolveCommit(web, "stable"));
    expect(await store.resolveCommit(web, main as string)).toBe(main);
    expect(await store.resolveCommit(web, (main as string).slice(0, 7))).toBe(main);
    expect(await store.resolveCommit(web, (main as string).slice(0, 7).toUpperCase())).toBe(main);
    for (const bad of [
      "no-such-branch",
      "deadbeefdeadbeef",
      "",
      "--output=/tmp/pwned",
      "-n",
      "main..stable",
      "main~1",
      "main^",
      "@{-1}",
      "main:README.md",
      "ma\0in",
      "HEAD@{0}",
    ]) {
      expect(await store.resolveCommit(web, bad), bad).toBeUndefined();
    }
    // A tree sha is not a commit.
    const tree = await store.getTree(web, "main", false);
    expect(await store.resolveCommit(web, tree?.sha as string)).toBeUndefined();
  });
});

describe("commits", () => {
  it("reads a commit with author, committer, parents and message", async () => {
    const main = (await store.resolveCommit(web, "main")) as string;
    const commit = await store.getCommit(web, main);
    expect(commit?.sha).toBe(main);
    expect(commit?.parents).toHaveLength(1);
    expect(commit?.author.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(commit?.message).toBe("chore: drop unused .gitignore entry file");
    expect(await store.getCommit(web, "0".repeat(40))).toBeUndefined();
    expect(await store.getCommit(web, "--all")).toBeUndefined();
  });

  it("pages through history newest first and reports hasMore", async () => {
    const main = (await store.resolveCommit(web, "main")) as string;
    const all = await store.listCommits(web, { sha: main, limit: 1000 });
    expect(all.hasMore).toBe(false);
    expect(all.commits.length).toBeGreaterThanOrEqual(30);
    expect(all.commits[0]?.sha).toBe(main);
    expect(all.commits.at(-1)?.message).toBe("Initial commit");
    expect(all.commits.at(-1)?.parents).toEqual([]);
    const page1 = await store.listCommits(web, { sha: main, limit: 10 });
    const page2 = await store.listCommits(web, { sha: main, limit: 10, skip: 10 });
    expect(page1.hasMore).toBe(true);
    expect(page1.commits.map((c) => c.sha)).toEqual(all.commits.slice(0, 10).map((c) => c.sha));
    expect(page2.commits.map((c) => c.sha)).toEqual(all.commits.slice(10, 20).map((c) => c.sha));
    const last = await store.listCommits(web, { sha: main, limit: 10, skip: all.commits.length - 3 });
    expect(last.commits).toHaveLength(3);
    expect(last.hasMore).toBe(false);
    // The merge of feature/dark-mode brings its commits into main's history.
    expect(all.commits.some((c) => c.parents.length === 2)).toBe(true);
    expect(all.commits.some((c) => c.message === "feat(theme): dark mode palette")).toBe(true);
  });

  it("filters history by path, author and date", async () => {
    const main = (await store.resolveCommit(web, "main")) as string;
    const byPath = await store.listCommits(web, { sha: main, path: "src/lib/api/client.ts", limit: 50 });
    expect(byPath.commits.map((c) => c.message)).toEqual([
      "fix(api): send credentials with api requests",
      "feat(api): typed fetch client for api-server",
    ]);
    const dir = await store.listCommits(web, { sha: main, path: "src/lib/flags/", limit: 50 });
    expect(dir.commits).toHaveLength(12);
    const kenji = await store.listCommits(web, { sha: main, author: "kenji.watanabe@", limit: 100 });
    expect(kenji.commits.length).toBeGreaterThan(0);
    expect(kenji.commits.every((c) => c.author.name === "Kenji Watanabe")).toBe(true);
    const until = await store.listCommits(web, { sha: main, until: "2024-01-08T15:00:00Z", limit: 100 });
    expect(until.commits.map((c) => c.message)).toEqual(["Initial commit"]);
    const since = await store.listCommits(web, { sha: main, since: "2024-01-19T00:00:00Z", limit: 100 });
    expect(since.commits.every((c) => c.committer.date >= "2024-01-19T00:00:00Z")).toBe(true);
    expect(since.commits.length).toBeGreaterThan(0);
    expect((await store.listCommits(web, { sha: main, path: "../etc/passwd", limit: 5 })).commits).toEqual(
      [],
    );
  });
});
