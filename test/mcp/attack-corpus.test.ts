/**
 * reliability-anchors §6.3 over the wire: hostile owner/repo, ref and path arguments through the real tools.
 * Every one is refused (or read literally), and GitHub sees only canonical names of allowed repositories.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { describe, expect, it } from "vitest";
import { call, type Harness, useHarnessAsAlice } from "./harness.ts";

let h: Harness;
let alice: Client;

useHarnessAsAlice({}, (started, client) => {
  h = started;
  alice = client;
});

const OWNER_REPO: Array<[string, string]> = [
  ["mycompany", "web/../../othercorp/secret"],
  ["mycompany/web", "x"],
  ["mycompany", ".."],
  ["mycompany", "."],
  ["..", "othercorp"],
  ["mycompany", "%2e%2e"],
  ["mycompany", "%2E%2e/othercorp"],
  ["mycompany%2Fweb", "x"],
  ["mycompany", "web%00"],
  ["mycompany", "web\n"],
  ["mycompany", "web#x"],
  ["mycompany", "web?x=/web"],
  ["mycompany", "web.git"],
  ["mycompany", "we\u200bb"],
  ["\u212Aycompany", "web"],
  ["ｍycompany", "web"],
  ["othercorp", "secret"],
  ["OtherCorp", "Secret"],
  ["mycompany", "secrets-vault"],
  ["MyCompany", "SECRETS-VAULT"],
];

describe("owner/repo arguments", () => {
  it("refuses every hostile or denied name before any token or GitHub call", async () => {
    const requests = h.github.log.requests.length;
    const mints = h.github.log.mints.length;
    for (const [owner, repo] of OWNER_REPO) {
      for (const [tool, extra] of [
        ["get_file_contents", { path: "README.md" }],
        ["get_repository_tree", {}],
        ["list_commits", {}],
        ["compare_refs", { base: "main", head: "main" }],
      ] as const) {
        const r = await call(alice, tool, { owner, repo, ...extra });
        expect(r.isError, `${tool} ${JSON.stringify([owner, repo])}`).toBe(true);
        expect(r.text).toMatch(/^Access denied/);
      }
    }
    expect(h.github.log.mints.length).toBe(mints);
    expect(h.github.log.requests.length).toBe(requests);
  });

  it("denies each one with a decision event naming the refusal", async () => {
    const before = h.decisions.length;
    for (const [owner, repo] of OWNER_REPO) {
      await call(alice, "list_branches", { owner, repo });
    }
    const events = h.decisions.slice(before);
    expect(events).toHaveLength(OWNER_REPO.length);
    for (const event of events) expect(event.decision.allowed).toBe(false);
  });
});

describe("ref arguments where branches are restricted (facebook/react: main, stable)", () => {
  it.each([
    "main^",
    "main~1",
    "HEAD~1",
    "HEAD",
    "main...experimental",
    "experimental...main",
    "main..experimental",
    "refs/heads/experimental",
    "refs/heads/main",
    "heads/experimental",
    "MAIN",
    "main%00",
    "main\u0000",
    "main@{1}",
    "main:README.md",
    "v18.2.0",
    "experimental",
  ])("%j is refused without a token", async (ref) => {
    const mints = h.github.log.mints.length;
    for (const [tool, args] of [
      ["get_file_contents", { path: "README.md", ref }],
      ["get_commit", { ref }],
      ["list_commits", { ref }],
    ] as const) {
      const r = await call(alice, tool, { owner: "facebook", repo: "react", ...args });
      expect(r.isError, `${tool} ${ref}`).toBe(true);
      expect(r.text).toMatch(/^Access denied by rule #3 "facebook\/react"/);
    }
    expect(h.github.log.mints.length).toBe(mints);
  });
});

describe("path arguments", () => {
  it("a ?, # or encoded dot in a path is sent as part of the file name, never as a query, fragment or segment", async () => {
    const since = h.github.log.requests.length;
    for (const path of [
      "README.md?ref=experimental",
      "README.md#x",
      "%2e%2e/othercorp",
      "README.md%3Fref=x",
    ]) {
      const r = await call(alice, "get_file_contents", { owner: "facebook", repo: "react", path });
      expect(r.isError, path).toBe(true);
      expect(r.text).toContain("GitHub returned 404");
    }
    const reads = h.github.log.requests.slice(since).filter((q) => q.path.includes("/contents/"));
    expect(reads).toHaveLength(4);
    for (const q of reads) {
      expect(q.path.startsWith("/repos/facebook/react/contents/")).toBe(true);
      // The branch rule pinned the default branch; the path could not add or change a ref.
      expect(q.query).toBe("?ref=main");
    }
    expect(reads.map((q) => q.path.slice("/repos/facebook/react/contents/".length))).toEqual([
      "README.md%3Fref%3Dexperimental",
      "README.md%23x",
      "%252e%252e%2Fothercorp",
      "README.md%253Fref%3Dx",
    ]);
  });

  it.each(["..", "../othercorp/secret", "a/../../b", "./README.md", "a//b", "a\\..\\b", "a\u0000b"])(
    "%j is refused before any GitHub call",
    async (path) => {
      const requests = h.github.log.requests.length;
      const r = await call(alice, "get_file_contents", { owner: "mycompany", repo: "web", path });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/path .* (must be relative|contains a control character or a backslash)/);
      // The token minted for the call is the only traffic (no read happened).
      const contents = h.github.log.requests.slice(requests).filter((q) => q.path.includes("/contents"));
      expect(contents).toHaveLength(0);
    },
  );
});
