/**
 * The same OpenAPI validation swept over the seed data: every repository each installation covers, every
 * branch, every commit of the default branch, every path of its tree, every tag, and every branch pair of
 * mycompany/web. The hand-picked table proves each status; this finds the data that breaks a schema.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Conformance, startConformance } from "./context.ts";
import { type CheckedCase, type CredentialName, checkCase, type ResponseCase } from "./exchange.ts";

type Obj = Record<string, unknown>;

/** Symlinks the project's seeds lack: to a directory, out of the repository, dangling, absolute. */
const LINKS_REPO = `owner: mycompany
name: links
ownerType: Organization
description: Symlinks of every kind, for the OpenAPI conformance sweep
private: false
topics: []
defaultBranch: main
createdAt: 2024-03-01T09:00:00Z
author: { name: Test Author, email: test.author@mycompany.example }
history:
  - commit:
      message: "links of every kind"
      files:
        README.md: "# links\\n"
        docs/guide.md: "guide\\n"
        to-dir: { symlink: docs }
        to-file: { symlink: docs/guide.md }
        outside: { symlink: ../../etc/passwd }
        dangling: { symlink: missing.txt }
        absolute: { symlink: /etc/hosts }
        "docs/with space and ü.md": "non-ASCII name\\n"
`;

let conformance: Conformance;
/** `owner/name` and the credential that sees it, for every repository an installation covers. */
let repositories: Array<{ fullName: string; auth: CredentialName; defaultBranch: string }>;

beforeAll(async () => {
  conformance = await startConformance({ extraSeedRepos: { "mycompany__links.yaml": LINKS_REPO } });
  repositories = [];
  for (const auth of ["all", "react", "partner"] as const) {
    const listing = await conformance.ctx.fetchWith(auth, "/installation/repositories?per_page=100");
    const body = (await listing.json()) as {
      repositories: Array<{ full_name: string; default_branch: string }>;
    };
    for (const r of body.repositories) {
      repositories.push({ fullName: r.full_name, auth, defaultBranch: r.default_branch });
    }
  }
}, 60_000);

afterAll(async () => {
  await conformance?.fixture.stop();
});

/** Checks rows a few at a time (the machine is shared) and fails with every problem found. */
async function sweep(rows: ResponseCase[]): Promise<CheckedCase[]> {
  const { openapi, ctx } = conformance;
  const results: CheckedCase[] = [];
  for (let i = 0; i < rows.length; i += 4) {
    results.push(...(await Promise.all(rows.slice(i, i + 4).map((row) => checkCase(openapi, ctx, row)))));
  }
  const problems = results.flatMap((r) => r.problems);
  if (problems.length > 0) {
    expect.fail(
      `${problems.length} mismatches with GitHub's OpenAPI description:\n  - ${problems.slice(0, 60).join("\n  - ")}`,
    );
  }
  expect(results.length).toBe(rows.length);
  return results;
}

const encodePath = (path: string) => path.split("/").map(encodeURIComponent).join("/");

describe("seed data swept against GitHub's OpenAPI description", () => {
  it("covers every repository the installations reach", () => {
    expect(repositories.map((r) => r.fullName).sort()).toEqual(
      expect.arrayContaining([
        "facebook/react",
        "mycompany/api-server",
        "mycompany/links",
        "mycompany/web",
        "partner-org/shared-sdk",
      ]),
    );
  });

  it("repos/get, list-languages, list-branches, get-readme, list-commits for every repository", async () => {
    const rows = repositories.flatMap(({ fullName, auth, defaultBranch }): ResponseCase[] => {
      const base = `/repos/${fullName}`;
      const row = (operationId: string, path: string, status: number | number[] = 200): ResponseCase => ({
        operationId,
        status,
        label: fullName,
        path,
        auth,
      });
      return [
        row("repos/get", base),
        row("repos/list-languages", `${base}/languages`),
        row("repos/list-branches", `${base}/branches?per_page=100`),
        row("repos/get-readme", `${base}/readme`, [200, 404]),
        row("repos/list-commits", `${base}/commits?per_page=100`),
        row("git/get-tree", `${base}/git/trees/${encodePath(defaultBranch)}?recursive=1`),
      ];
    });
    await sweep(rows);
  });

  it("repos/get-branch and repos/get-commit for every branch head", async () => {
    const rows: ResponseCase[] = [];
    for (const { fullName, auth } of repositories) {
      const listing = await conformance.ctx.fetchWith(auth, `/repos/${fullName}/branches?per_page=100`);
      for (const branch of (await listing.json()) as Array<{ name: string }>) {
        const label = `${fullName}@${branch.name}`;
        rows.push(
          {
            operationId: "repos/get-branch",
            status: 200,
            label,
            path: `/repos/${fullName}/branches/${encodePath(branch.name)}`,
            auth,
          },
          {
            operationId: "repos/get-commit",
            status: 200,
            label,
            path: `/repos/${fullName}/commits/${encodePath(branch.name)}`,
            auth,
          },
        );
      }
    }
    await sweep(rows);
  });

  it("repos/get-commit for the latest 20 commits of every default branch", async () => {
    const rows: ResponseCase[] = [];
    for (const { fullName, auth } of repositories) {
      const listing = await conformance.ctx.fetchWith(auth, `/repos/${fullName}/commits?per_page=20`);
      for (const commit of (await listing.json()) as Array<{ sha: string }>) {
        rows.push({
          operationId: "repos/get-commit",
          status: 200,
          label: fullName,
          path: `/repos/${fullName}/commits/${commit.sha}`,
          auth,
        });
      }
    }
    expect(rows.length).toBeGreaterThan(40);
    await sweep(rows);
  });

  it("repos/get-content for every path of every default branch, and every tag's root", async () => {
    const rows: ResponseCase[] = [];
    for (const { fullName, auth, defaultBranch } of repositories) {
      const tree = await conformance.ctx.fetchWith(
        auth,
        `/repos/${fullName}/git/trees/${encodePath(defaultBranch)}?recursive=1`,
      );
      expect(tree.status).toBe(200);
      for (const entry of ((await tree.json()) as { tree: Array<{ path: string }> }).tree) {
        const path = `/repos/${fullName}/contents/${encodePath(entry.path)}`;
        rows.push({ operationId: "repos/get-content", status: 200, label: entry.path, path, auth });
      }
    }
    const web = conformance.fixture.github.store.getRepository("mycompany", "web");
    const tags = web ? await conformance.fixture.github.store.listTags(web) : [];
    expect(tags.length).toBeGreaterThan(0);
    for (const tag of tags) {
      rows.push({
        operationId: "repos/get-content",
        status: 200,
        label: tag.name,
        path: `/repos/mycompany/web/contents/?ref=${tag.name}`,
        auth: "all",
      });
      rows.push({
        operationId: "git/get-tree",
        status: 200,
        label: tag.name,
        path: `/repos/mycompany/web/git/trees/${tag.name}`,
        auth: "all",
      });
    }
    expect(rows.length).toBeGreaterThan(50);
    const results = await sweep(rows);
    const contents = results.filter((r) => r.request.includes("/contents/"));
    const types = new Set(
      contents.map((r) => (Array.isArray(r.body) ? "dir" : String((r.body as Obj).type))),
    );
    expect([...types].sort()).toEqual(["dir", "file", "submodule", "symlink"]);
  });

  it("repos/compare-commits-with-basehead for every pair of mycompany/web branches", async () => {
    const web = conformance.fixture.github.store.getRepository("mycompany", "web");
    if (!web) throw new Error("mycompany/web is missing");
    const store = conformance.fixture.github.store;
    const refs = (await store.listBranches(web)).map((r) => r.name);
    const rows: ResponseCase[] = [];
    for (const base of refs) {
      for (const head of refs) {
        rows.push({
          operationId: "repos/compare-commits-with-basehead",
          status: [200, 404], // 404: gh-pages shares no history with the others
          label: `${base}...${head}`,
          path: `/repos/mycompany/web/compare/${encodePath(base)}...${encodePath(head)}`,
          auth: "all",
        });
      }
    }
    const results = await sweep(rows);
    const statuses = new Set(
      results.map((r) => (r.response.status === 200 ? String((r.body as Obj).status) : "404")),
    );
    expect([...statuses].sort()).toEqual(["404", "ahead", "behind", "diverged", "identical"]);
  });
});
