import type { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmulatorFixture, failure, INSTALLATIONS, startFixture } from "./harness.ts";

let fx: EmulatorFixture;
let web: Octokit;
let webToken: string;
const repo = { owner: "mycompany", repo: "web" };

beforeAll(async () => {
  fx = await startFixture();
  ({ octokit: web, token: webToken } = await fx.installationOctokit(INSTALLATIONS.mycompany, {
    repositories: ["web"],
  }));
});
afterAll(async () => {
  await fx?.stop();
});

describe("repository and branches", () => {
  it("serves the repository with its language", async () => {
    const { data } = await web.rest.repos.get(repo);
    expect(data.full_name).toBe("mycompany/web");
    expect(data.default_branch).toBe("main");
    expect(data.language).toBe("TypeScript");
    expect(data.url).toBe(`${fx.github.url}/repos/mycompany/web`);
    const languages = await web.rest.repos.listLanguages(repo);
    expect(languages.data.TypeScript).toBeGreaterThan(0);
  });

  it("sends an etag and answers If-None-Match with 304", async () => {
    const url = `${fx.github.url}/repos/mycompany/web`;
    const headers = { authorization: `token ${webToken}` };
    const first = await fetch(url, { headers });
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^W\/"[0-9a-f]{64}"$/);
    const again = await fetch(url, { headers: { ...headers, "if-none-match": etag ?? "" } });
    expect(again.status).toBe(304);
    const stale = await fetch(url, { headers: { ...headers, "if-none-match": 'W/"0"' } });
    expect(stale.status).toBe(200);
  });

  it("lists branches and gets a branch whose name contains a slash", async () => {
    const { data } = await web.rest.repos.listBranches(repo);
    const names = data.map((b) => b.name);
    expect(names).toEqual(expect.arrayContaining(["main", "stable", "feature/x"]));
    const listed = data.find((b) => b.name === "feature/x");
    const branch = await web.rest.repos.getBranch({ ...repo, branch: "feature/x" });
    expect(branch.data.name).toBe("feature/x");
    expect(branch.data.commit.sha).toBe(listed?.commit.sha);
    const missing = await failure(web.rest.repos.getBranch({ ...repo, branch: "feature/none" }));
    expect(missing.status).toBe(404);
    expect(missing.data.message).toBe("Branch not found");
  });
});

describe("contents", () => {
  it("returns a file as base64 JSON and as raw text with the raw media type", async () => {
    const path = "README.md";
    const { data } = await web.rest.repos.getContent({ ...repo, path });
    if (Array.isArray(data) || data.type !== "file") throw new Error("expected a file");
    expect(data.encoding).toBe("base64");
    const decoded = Buffer.from(data.content, "base64").toString("utf8");
    const raw = await web.rest.repos.getContent({ ...repo, path, mediaType: { format: "raw" } });
    // Octokit asks for `application/vnd.github.v3.raw`; GitHub echoes the requested form.
    expect(raw.headers["content-type"]).toBe("application/vnd.github.v3.raw; charset=utf-8");
    const modern = await fetch(`${fx.github.url}/repos/mycompany/web/contents/${path}`, {
      headers: { authorization: `token ${webToken}`, accept: "application/vnd.github.raw+json" },
    });
    expect(modern.headers.get("content-type")).toBe("application/vnd.github.raw; charset=utf-8");
    expect(await modern.text()).toBe(decoded);
    expect(raw.data as unknown as string).toBe(decoded);
    expect(data.size).toBe(Buffer.byteLength(decoded));
  });

  it("keeps non-ASCII text intact", async () => {
    const dir = await web.rest.repos.getContent({ ...repo, path: "docs/i18n" });
    if (!Array.isArray(dir.data)) throw new Error("expected a directory");
    const file = dir.data.find((e) => e.type === "file");
    if (!file) throw new Error("expected a file in docs/i18n");
    const raw = await web.rest.repos.getContent({ ...repo, path: file.path, mediaType: { format: "raw" } });
    expect(raw.data as unknown as string).toMatch(/[\u0080-\uffff]/);
  });

  it("lists a directory with dirs, files, symlinks and submodules", async () => {
    const root = await web.rest.repos.getContent({ ...repo, path: "" });
    if (!Array.isArray(root.data)) throw new Error("expected a directory");
    expect(root.data.find((e) => e.name === "src")?.type).toBe("dir");
    expect(root.data.find((e) => e.name === "README.md")?.type).toBe("file");
    const docs = await web.rest.repos.getContent({ ...repo, path: "docs" });
    if (!Array.isArray(docs.data)) throw new Error("expected a directory");
    expect(docs.data.find((e) => e.name === "CHANGELOG.md")?.type).toBe("symlink");
    const submodule = await web.rest.repos.getContent({ ...repo, path: "vendor/design-tokens" });
    expect(submodule.data).toMatchObject({ type: "submodule", path: "vendor/design-tokens" });
    expect((submodule.data as { submodule_git_url: string }).submodule_git_url).toBeTruthy();
  });

  it("answers a symlink to a file with the file, as GitHub does", async () => {
    const link = await web.rest.repos.getContent({ ...repo, path: "docs/CHANGELOG.md" });
    const target = await web.rest.repos.getContent({ ...repo, path: "CHANGELOG.md" });
    expect((link.data as { type: string }).type).toBe("file");
    expect((link.data as { content: string }).content).toBe((target.data as { content: string }).content);
  });

  it("applies GitHub's size rules: over 1 MiB has encoding none in JSON, raw still works", async () => {
    const path = "test/fixtures/large/dataset.txt";
    const { data } = await web.rest.repos.getContent({ ...repo, path });
    expect(data).toMatchObject({ type: "file", encoding: "none", content: "", size: 1572864 });
    const raw = await web.rest.repos.getContent({ ...repo, path, mediaType: { format: "raw" } });
    expect((raw.data as unknown as string).length).toBe(1572864);
  });

  it("honours ref and answers 404 for unknown paths and refs", async () => {
    const atStable = await web.rest.repos.getContent({ ...repo, path: "README.md", ref: "stable" });
    expect((atStable.data as { url: string }).url).toContain("ref=stable");
    const missing = await failure(web.rest.repos.getContent({ ...repo, path: "no/such/file.txt" }));
    expect(missing.status).toBe(404);
    expect(missing.data.message).toBe("Not Found");
    const badRef = await failure(
      web.rest.repos.getContent({ ...repo, path: "README.md", ref: "no-such-ref" }),
    );
    expect(badRef.status).toBe(404);
    const traversal = await failure(web.rest.repos.getContent({ ...repo, path: "src/../README.md" }));
    expect(traversal.status).toBe(404);
  });

  it("serves the README as JSON and raw", async () => {
    const json = await web.rest.repos.getReadme(repo);
    const raw = await web.rest.repos.getReadme({ ...repo, mediaType: { format: "raw" } });
    expect(raw.data as unknown as string).toBe(Buffer.from(json.data.content, "base64").toString("utf8"));
  });
});

describe("blobs over 100 MB", () => {
  it("are refused with 403 too_large (limit lowered so the test needs no 100 MB blob)", async () => {
    const small = await startFixture({ contentLimits: { blobApiBytes: 1_000_000 } });
    try {
      const { octokit } = await small.installationOctokit(INSTALLATIONS.mycompany, { repositories: ["web"] });
      const path = "test/fixtures/large/dataset.txt";
      for (const format of ["json", "raw"]) {
        const res = await failure(octokit.rest.repos.getContent({ ...repo, path, mediaType: { format } }));
        expect(res.status).toBe(403);
        expect(res.data.errors).toEqual([{ resource: "Blob", field: "data", code: "too_large" }]);
      }
    } finally {
      await small.stop();
    }
  });
});

describe("trees", () => {
  it("lists a tree flat or recursively", async () => {
    const flat = await web.rest.git.getTree({ ...repo, tree_sha: "main" });
    expect(flat.data.truncated).toBe(false);
    expect(flat.data.tree.every((e) => !e.path?.includes("/"))).toBe(true);
    const deep = await web.rest.git.getTree({ ...repo, tree_sha: "main", recursive: "1" });
    expect(deep.data.tree.length).toBeGreaterThan(flat.data.tree.length);
    expect(deep.data.tree.some((e) => e.path?.startsWith("src/") && e.type === "blob")).toBe(true);
    const byTreeSha = await web.rest.git.getTree({ ...repo, tree_sha: flat.data.sha });
    expect(byTreeSha.data.tree.length).toBe(flat.data.tree.length);
    expect((await failure(web.rest.git.getTree({ ...repo, tree_sha: "f".repeat(40) }))).status).toBe(404);
  });
});
