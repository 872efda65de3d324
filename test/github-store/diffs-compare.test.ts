import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LocalRepoStore,
  NoCommonAncestorError,
  RepoStoreError,
} from "../../wrangler-free-local/github/store/index.ts";
import type { CommitRecord, RepositoryRecord } from "../../wrangler-free-local/github/store/types.ts";
import { openSeededStore, repo } from "./seeded-store.ts";

let store: LocalRepoStore;
let web: RepositoryRecord;
let history: CommitRecord[];
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ store, cleanup } = await openSeededStore());
  web = repo(store, "mycompany/web");
  const main = (await store.resolveCommit(web, "main")) as string;
  history = (await store.listCommits(web, { sha: main, limit: 1000 })).commits;
});
afterAll(async () => {
  await cleanup();
});

function commitNamed(message: string): CommitRecord {
  const found = history.find((c) => c.message === message);
  if (!found) throw new Error(`seed commit "${message}" is missing`);
  return found;
}

describe("commit files", () => {
  it("lists a root commit's files as added, with hunk-only patches", async () => {
    const files = await store.getCommitFiles(web, commitNamed("Initial commit").sha);
    expect(files.map((f) => f.filename)).toContain("README.md");
    for (const f of files) {
      expect(f.status).toBe("added");
      expect(f.deletions).toBe(0);
      expect(f.changes).toBe(f.additions);
      expect(f.patch).toMatch(/^@@ -0,0 \+1(,\d+)? @@/);
      expect(f.patch).not.toContain("diff --git");
      expect(f.patch).not.toContain("+++ b/");
      expect(f.patch?.endsWith("\n")).toBe(false);
    }
    const readme = files.find((f) => f.filename === "README.md");
    expect(readme?.additions).toBeGreaterThan(5);
    expect(readme?.blobSha).toMatch(/^[0-9a-f]{40}$/);
  });

  it("gives modified files line counts and patches; binaries have no patch", async () => {
    const fix = await store.getCommitFiles(
      web,
      commitNamed("fix(api): send credentials with api requests").sha,
    );
    expect(fix).toHaveLength(1);
    expect(fix[0]).toMatchObject({
      filename: "src/lib/api/client.ts",
      status: "modified",
      additions: 1,
      deletions: 0,
    });
    expect(fix[0]?.patch).toContain('+    credentials: "include",');

    const assets = await store.getCommitFiles(web, commitNamed("chore(assets): add logo and icon font").sha);
    expect(assets.map((f) => f.filename).sort()).toEqual([
      "public/fonts/icons.woff2",
      "public/images/logo.png",
    ]);
    for (const f of assets) {
      expect(f.status).toBe("added");
      expect(f.patch).toBeUndefined();
      expect(f.additions).toBe(0);
    }

    const i18n = await store.getCommitFiles(
      web,
      commitNamed("feat(i18n): German and Japanese translations").sha,
    );
    const doc = i18n.find((f) => f.filename === "docs/i18n/übersicht.md");
    expect(doc?.patch).toContain("+Grüße aus München! 🥨");
  });

  it("reports renames and removals like GitHub", async () => {
    const moved = await store.getCommitFiles(
      web,
      commitNamed("refactor(format): move currency helpers to money module").sha,
    );
    expect(moved.find((f) => f.filename === "src/lib/money/currency.ts")).toMatchObject({
      status: "renamed",
      previousFilename: "src/lib/format/currency.ts",
      additions: 0,
      deletions: 0,
    });
    const removal = await store.getCommitFiles(
      web,
      commitNamed("chore: drop unused .gitignore entry file").sha,
    );
    const removed = removal.find((f) => f.filename === "test/fixtures/README.md");
    expect(removed?.status).toBe("removed");
    expect(removed?.blobSha).toMatch(/^(?!0{40})[0-9a-f]{40}$/);
    expect(removed?.patch).toMatch(/^@@ -1,2 \+0,0 @@/);
  });

  it("diffs a merge commit against its first parent", async () => {
    const merge = history.find((c) => c.parents.length === 2) as CommitRecord;
    const files = await store.getCommitFiles(web, merge.sha);
    expect(files.map((f) => f.filename).sort()).toEqual([
      "src/app/theme/useTheme.ts",
      "src/styles/theme-dark.css",
    ]);
  });

  it("returns the full diff text with headers for the diff media type", async () => {
    const diff = await store.getCommitDiff(
      web,
      commitNamed("fix(api): send credentials with api requests").sha,
    );
    expect(diff).toMatch(/^diff --git a\/src\/lib\/api\/client.ts b\/src\/lib\/api\/client.ts\n/);
    expect(diff).toContain("--- a/src/lib/api/client.ts\n+++ b/src/lib/api/client.ts\n@@ ");
    const root = await store.getCommitDiff(web, commitNamed("Initial commit").sha);
    expect(root).toContain("new file mode 100644");
    expect(await store.getCommitFiles(web, "0".repeat(40))).toEqual([]);
  });
});

describe("compare", () => {
  it("feature/x is ahead of main", async () => {
    const result = await store.compare(web, "main", "feature/x");
    expect(result).toMatchObject({ status: "ahead", aheadBy: 3, behindBy: 0, totalCommits: 3 });
    expect(result.mergeBaseSha).toBe(result.baseSha);
    expect(result.commits.map((c) => c.message)).toEqual([
      "feat(x): scaffold feature X",
      "feat(x): wire feature X into routes",
      "test(x): smoke test for feature X",
    ]);
    expect(result.files.map((f) => f.filename).sort()).toEqual([
      "src/app/routes/index.ts",
      "src/features/x/FeatureX.test.tsx",
      "src/features/x/FeatureX.tsx",
      "src/features/x/index.ts",
    ]);
    expect(result.files.find((f) => f.filename === "src/app/routes/index.ts")?.status).toBe("modified");
  });

  it("stable is behind main, identical to its tag", async () => {
    const behind = await store.compare(web, "main", "stable");
    expect(behind.status).toBe("behind");
    expect(behind.aheadBy).toBe(0);
    expect(behind.behindBy).toBeGreaterThan(10);
    expect(behind.commits).toEqual([]);
    expect(behind.files).toEqual([]);
    expect(behind.mergeBaseSha).toBe(behind.headSha);
    const same = await store.compare(web, "stable", "v1.0.0");
    expect(same).toMatchObject({ status: "identical", aheadBy: 0, behindBy: 0, files: [], commits: [] });
  });

  it("hotfix/1.0.1 and main have diverged from v1.0.0", async () => {
    const result = await store.compare(web, "main", "hotfix/1.0.1");
    expect(result.status).toBe("diverged");
    expect(result.aheadBy).toBe(1);
    expect(result.behindBy).toBeGreaterThan(10);
    expect(result.mergeBaseSha).toBe(await store.resolveCommit(web, "v1.0.0"));
    // Files since the merge base only: the hotfix's own change, not main's later work.
    expect(result.files.map((f) => f.filename)).toEqual(["src/lib/format/currency.ts"]);
    const reverse = await store.compare(web, "hotfix/1.0.1", "main");
    expect(reverse.status).toBe("diverged");
    expect(reverse.aheadBy).toBe(result.behindBy);
  });

  it("the same diverged/ahead/behind shapes exist in mycompany/api-server", async () => {
    const api = repo(store, "mycompany/api-server");
    expect((await store.compare(api, "main", "feature/x")).status).toBe("ahead");
    expect((await store.compare(api, "main", "stable")).status).toBe("behind");
    expect((await store.compare(api, "main", "hotfix/1.0.1")).status).toBe("diverged");
    expect((await store.compare(api, "main", "main")).status).toBe("identical");
  });

  it("returns the three-dot diff text and rejects unknown refs", async () => {
    const diff = await store.compareDiff(web, "main", "hotfix/1.0.1");
    expect(diff).toMatch(/^diff --git a\/src\/lib\/format\/currency.ts /);
    expect(diff).toContain("+  const rounded = Math.round(minor);");
    await expect(store.compare(web, "main", "no-such-branch")).rejects.toBeInstanceOf(RepoStoreError);
    await expect(store.compare(web, "--output=/tmp/x", "main")).rejects.toMatchObject({
      code: "UNKNOWN_REF",
    });
  });

  it("refuses to compare unrelated histories (gh-pages is an orphan branch)", async () => {
    await expect(store.compare(web, "main", "gh-pages")).rejects.toBeInstanceOf(NoCommonAncestorError);
    await expect(store.compareDiff(web, "gh-pages", "main")).rejects.toMatchObject({
      code: "NO_COMMON_ANCESTOR",
    });
    const pages = await store.listCommits(web, {
      sha: (await store.resolveCommit(web, "gh-pages")) as string,
      limit: 5,
    });
    expect(pages.commits).toHaveLength(1);
    expect(pages.commits[0]?.parents).toEqual([]);
  });
});
