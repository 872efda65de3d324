/** Size caps and branch rules under a stricter policy than the seed one. */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { describe, expect, it } from "vitest";
import { call, json, useHarnessAsAlice } from "./harness.ts";

const POLICY = `
version: 1
defaults:
  maxFileSize: 100
repositories:
  - pattern: "mycompany/web"
    branches: [main, feature/x]
    operations: [read, analyze, diff]
  - pattern: "facebook/react"
    branches: [stable]
    operations: [read, analyze, diff]
`;

let alice: Client;

useHarnessAsAlice({ policyYaml: POLICY }, (_harness, client) => {
  alice = client;
});

function blocks(result: { content: Array<{ type: string; text?: string }> }): string[] {
  return result.content.map((c) => c.text ?? "");
}

describe("maxFileSize on the bytes returned", () => {
  it("cuts README.md at 100 bytes and says where the cap comes from", async () => {
    const r = await call(alice, "get_file_contents", { owner: "mycompany", repo: "web", path: "README.md" });
    expect(r.isError).toBe(false);
    const [, body, notice] = blocks(r.result);
    expect(Buffer.byteLength(body ?? "", "utf8")).toBe(100);
    expect(notice).toContain("TRUNCATED: returned the first 100 bytes of 477 bytes");
    expect(notice).toContain('rule #1 "mycompany/web"');
  });

  it("never splits a UTF-8 character when cutting", async () => {
    const r = await call(alice, "get_file_contents", {
      owner: "mycompany",
      repo: "web",
      path: "src/i18n/locales/ja/common.json",
    });
    expect(r.isError).toBe(false);
    const [, body, notice] = blocks(r.result);
    const bytes = Buffer.byteLength(body ?? "", "utf8");
    expect(bytes).toBeLessThanOrEqual(100);
    expect(bytes).toBeGreaterThan(90);
    expect(body).not.toContain("\uFFFD");
    expect(notice).toContain(`returned the first ${bytes} bytes`);
  });

  it("caps compare_refs patches in total and marks the cut files", async () => {
    const r = await call(alice, "compare_refs", {
      owner: "mycompany",
      repo: "web",
      base: "main",
      head: "feature/x",
    });
    expect(r.isError).toBe(false);
    const c = json(r.result) as { files: Array<{ patch?: string; patch_truncated?: boolean }> };
    const total = c.files.reduce((sum, f) => sum + Buffer.byteLength(f.patch ?? "", "utf8"), 0);
    expect(total).toBeLessThanOrEqual(100);
    expect(c.files.some((f) => f.patch_truncated)).toBe(true);
    expect(r.text).toContain("patches are capped at maxFileSize 100 bytes in total");
  });

  it("caps get_commit patches the same way", async () => {
    const r = await call(alice, "get_commit", { owner: "mycompany", repo: "web", ref: "feature/x" });
    expect(r.isError).toBe(false);
    const c = json(r.result) as { files: Array<{ patch?: string }> };
    const total = c.files.reduce((sum, f) => sum + Buffer.byteLength(f.patch ?? "", "utf8"), 0);
    expect(total).toBeLessThanOrEqual(100);
  });

  it("caps the README in get_repository_overview", async () => {
    const r = await call(alice, "get_repository_overview", { owner: "mycompany", repo: "web" });
    expect(r.isError).toBe(false);
    const readme = blocks(r.result)[1] ?? "";
    expect(Buffer.byteLength(readme.replace(/^README \(README.md\):\n/, ""), "utf8")).toBeLessThanOrEqual(
      100,
    );
    expect(json(r.result).readme).toMatchObject({ truncated: expect.stringContaining("TRUNCATED") });
  });
});

describe("maxFileSize on search results", () => {
  it("caps each result's fragments at 100 bytes in total and says so", async () => {
    // "import" matches several lines per file, so one result's fragments add up to more than 100 bytes.
    const r = await call(alice, "search_code", { query: "import repo:mycompany/web" });
    expect(r.isError, r.text).toBe(false);
    const s = json(r.result) as { items: Array<{ fragments: string[] }> };
    expect(s.items.length).toBeGreaterThan(0);
    for (const item of s.items) {
      const bytes = item.fragments.reduce((sum, f) => sum + Buffer.byteLength(f, "utf8"), 0);
      expect(bytes).toBeLessThanOrEqual(100);
      for (const f of item.fragments) expect(f).not.toContain("\uFFFD");
    }
    expect(r.text).toMatch(
      /TRUNCATED: the fragments of \d+ result\(s\) were cut to their repository's maxFileSize/,
    );
  });
});

describe("branch rules on both refs and on the default branch", () => {
  it("compare_refs denies a disallowed head and a disallowed base", async () => {
    const head = await call(alice, "compare_refs", {
      owner: "mycompany",
      repo: "web",
      base: "main",
      head: "stable",
    });
    expect(head.isError).toBe(true);
    expect(head.text).toContain('"stable" is not one of them');
    const base = await call(alice, "compare_refs", {
      owner: "mycompany",
      repo: "web",
      base: "stable",
      head: "main",
    });
    expect(base.isError).toBe(true);
    expect(base.text).toContain('"stable" is not one of them');
    expect(base.text).toContain("branches main, feature/x");
  });

  it("no ref means the default branch, which must itself be allowed", async () => {
    const r = await call(alice, "get_file_contents", { owner: "facebook", repo: "react", path: "README.md" });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('the default branch of facebook/react is "main", which is not one of them');
    const at = await call(alice, "get_file_contents", {
      owner: "facebook",
      repo: "react",
      path: "README.md",
      ref: "stable",
    });
    expect(at.isError).toBe(false);
  });

  it("get_repository_overview and list_commits without ref are denied there too", async () => {
    expect((await call(alice, "get_repository_overview", { owner: "facebook", repo: "react" })).isError).toBe(
      true,
    );
    expect((await call(alice, "list_commits", { owner: "facebook", repo: "react" })).isError).toBe(true);
  });

  it("search_code skips a repository whose default branch is not allowed (search covers default branches only)", async () => {
    const r = await call(alice, "search_code", { query: "createElement repo:facebook/react" });
    expect(r.isError).toBe(false);
    const s = json(r.result) as { searched_repositories: string[]; items: unknown[] };
    expect(s.searched_repositories).toEqual([]);
    expect(s.items).toEqual([]);
    expect(r.text).toContain('default branch of facebook/react is "main"');
  });
});
