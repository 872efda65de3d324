import type { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmulatorFixture, failure, INSTALLATIONS, startFixture } from "./harness.ts";

let fx: EmulatorFixture;
let web: Octokit;
const repo = { owner: "mycompany", repo: "web" };

beforeAll(async () => {
  fx = await startFixture();
  web = (await fx.installationOctokit(INSTALLATIONS.mycompany, { repositories: ["web"] })).octokit;
});
afterAll(async () => {
  await fx?.stop();
});

describe("commits", () => {
  it("pages with a Link header that octokit.paginate follows", async () => {
    const first = await web.rest.repos.listCommits({ ...repo, per_page: 5 });
    expect(first.data).toHaveLength(5);
    expect(first.headers.link).toMatch(/<[^>]*[?&]page=2[^>]*>; rel="next"/);
    const all = await web.paginate(web.rest.repos.listCommits, { ...repo, per_page: 10 });
    expect(all.length).toBeGreaterThan(10);
    expect(new Set(all.map((c) => c.sha)).size).toBe(all.length);
    expect(all.slice(0, 5).map((c) => c.sha)).toEqual(first.data.map((c) => c.sha));
    const second = await web.rest.repos.listCommits({ ...repo, per_page: 5, page: 2 });
    expect(second.headers.link).toMatch(/rel="prev"/);
    expect(second.data[0]?.sha).toBe(all[5]?.sha);
  });

  it("filters by sha, path and time", async () => {
    const onStable = await web.rest.repos.listCommits({ ...repo, sha: "stable", per_page: 100 });
    const onMain = await web.rest.repos.listCommits({ ...repo, per_page: 100 });
    expect(onStable.data.length).toBeLessThan(onMain.data.length);
    const readme = await web.rest.repos.listCommits({ ...repo, path: "README.md", per_page: 100 });
    expect(readme.data.length).toBeGreaterThan(0);
    expect(readme.data.length).toBeLessThan(onMain.data.length);
    const newest = onMain.data[0]?.commit.committer?.date ?? "";
    const since = await web.rest.repos.listCommits({ ...repo, since: newest, per_page: 100 });
    expect(since.data.length).toBeGreaterThanOrEqual(1);
    expect(since.data.length).toBeLessThan(onMain.data.length);
    const unknown = await failure(web.rest.repos.listCommits({ ...repo, sha: "no-such-branch" }));
    expect(unknown.status).toBe(404);
  });

  it("gets a commit with files and patches, and as a diff", async () => {
    const { data } = await web.rest.repos.getCommit({ ...repo, ref: "feature/x" });
    expect(data.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(data.files?.length).toBeGreaterThan(0);
    expect(data.files?.some((f) => typeof f.patch === "string" && f.patch.startsWith("@@"))).toBe(true);
    expect(data.stats?.total).toBeGreaterThan(0);
    const diff = await web.rest.repos.getCommit({ ...repo, ref: data.sha, mediaType: { format: "diff" } });
    expect(diff.headers["content-type"]).toMatch(/^application\/vnd\.github\.(v3\.)?diff; charset=utf-8$/);
    expect(diff.data as unknown as string).toMatch(/^diff --git /);
    const missing = await failure(web.rest.repos.getCommit({ ...repo, ref: "0123456" }));
    expect(missing.status).toBe(422);
    expect(missing.data.message).toBe("No commit found for SHA: 0123456");
  });
});

describe("compare", () => {
  async function status(base: string, head: string) {
    const { data } = await web.rest.repos.compareCommitsWithBasehead({
      ...repo,
      basehead: `${base}...${head}`,
    });
    return data;
  }

  it("reports ahead, behind, identical and diverged", async () => {
    const ahead = await status("stable", "main");
    expect(ahead.status).toBe("ahead");
    expect(ahead.ahead_by).toBeGreaterThan(0);
    expect(ahead.behind_by).toBe(0);
    expect(ahead.commits).toHaveLength(ahead.total_commits);
    expect(ahead.files?.some((f) => typeof f.patch === "string")).toBe(true);
    const behind = await status("main", "stable");
    expect(behind).toMatchObject({ status: "behind", ahead_by: 0, behind_by: ahead.ahead_by });
    expect((await status("main", "main")).status).toBe("identical");
    const diverged = await status("main", "hotfix/1.0.1");
    expect(diverged.status).toBe("diverged");
    expect(diverged.ahead_by).toBeGreaterThan(0);
    expect(diverged.behind_by).toBeGreaterThan(0);
    expect(diverged.merge_base_commit.sha).not.toBe(diverged.base_commit.sha);
  });

  it("accepts refs with slashes and full SHAs, and serves the diff media type", async () => {
    const branch = await web.rest.repos.getBranch({ ...repo, branch: "feature/x" });
    const bySha = await status("main", branch.data.commit.sha);
    const byName = await status("main", "feature/x");
    expect(bySha.ahead_by).toBe(byName.ahead_by);
    const diff = await web.rest.repos.compareCommitsWithBasehead({
      ...repo,
      basehead: "main...feature/x",
      mediaType: { format: "diff" },
    });
    expect(diff.data as unknown as string).toMatch(/^diff --git /m);
    const unknown = await failure(status("main", "no-such-branch"));
    expect(unknown.status).toBe(404);
  });

  it("reads `owner:ref` only for this repository's owner; another owner's ref is 404, not this repository's", async () => {
    const own = await status("mycompany:main", "mycompany:feature/x");
    expect(own.ahead_by).toBe((await status("main", "feature/x")).ahead_by);
    // On GitHub `othercorp:main` is a branch of another repository in the fork network, never this one's main.
    for (const [base, head] of [
      ["main", "othercorp:main"],
      ["othercorp:main", "main"],
      ["main", "othercorp:secret:main"],
    ] as const) {
      expect((await failure(status(base, head))).status).toBe(404);
    }
  });

  it("answers 404 No common ancestor for unrelated histories", async () => {
    const branches = await web.rest.repos.listBranches(repo);
    const orphan = branches.data.find((b) => b.name === "gh-pages");
    if (!orphan) throw new Error("seed mycompany/web is expected to have an orphan gh-pages branch");
    const res = await failure(status("main", "gh-pages"));
    expect(res.status).toBe(404);
    expect(res.data.message).toBe("No common ancestor between main and gh-pages.");
    const diff = await failure(
      web.rest.repos.compareCommitsWithBasehead({
        ...repo,
        basehead: "main...gh-pages",
        mediaType: { format: "diff" },
      }),
    );
    expect(diff.status).toBe(404);
  });
});
