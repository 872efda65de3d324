/** Tokens per call, what never leaves the process, and concurrent callers kept apart. */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { describe, expect, it } from "vitest";
import type { Principal } from "../../src/auth/principal.ts";
import { call, type Harness, json, useHarnessAsAlice } from "./harness.ts";

let h: Harness;
let alice: Client;
const outputs: string[] = [];

async function traced(client: Client, name: string, args: Record<string, unknown>) {
  const r = await call(client, name, args);
  outputs.push(JSON.stringify(r.result));
  return r;
}

useHarnessAsAlice(
  {
    failDecisionHook: (e) => e.tool === "get_repository_tree" && e.repository === "mycompany/api-server",
  },
  (started, client) => {
    h = started;
    alice = client;
  },
);

const SINGLE_REPOSITORY_CALLS: Array<[string, Record<string, unknown>, string]> = [
  ["get_file_contents", { owner: "mycompany", repo: "web", path: "README.md" }, "mycompany/web"],
  [
    "get_file_contents",
    { owner: "mycompany", repo: "web", path: "test/fixtures/large/dataset.txt" },
    "mycompany/web",
  ],
  ["get_file_contents", { owner: "mycompany", repo: "web", path: "src" }, "mycompany/web"],
  ["get_repository_tree", { owner: "facebook", repo: "react", ref: "stable" }, "facebook/react"],
  ["list_branches", { owner: "facebook", repo: "react" }, "facebook/react"],
  ["list_commits", { owner: "mycompany", repo: "api-server", per_page: 5 }, "mycompany/api-server"],
  ["get_commit", { owner: "mycompany", repo: "web", ref: "feature/x" }, "mycompany/web"],
  ["get_repository_overview", { owner: "mycompany", repo: "api-server" }, "mycompany/api-server"],
  ["compare_refs", { owner: "mycompany", repo: "web", base: "main", head: "feature/x" }, "mycompany/web"],
  ["search_code", { query: "React repo:mycompany/web" }, "mycompany/web"],
];

describe("one narrowed token per call", () => {
  it.each(SINGLE_REPOSITORY_CALLS)(
    "%s mints exactly one token for %j's repository and revokes it",
    async (tool, args, repo) => {
      await h.broker.tokens.drain();
      const mints = h.github.log.mints.length;
      const r = await traced(alice, tool, args);
      expect(r.isError, r.text).toBe(false);
      await h.broker.tokens.drain();
      const minted = h.github.log.mints.slice(mints);
      expect(minted).toHaveLength(1);
      expect(minted[0]).toMatchObject({
        narrowed: true,
        repositories: [repo],
        permissions: { contents: "read", metadata: "read" },
      });
      const revoked = h.github.log.revocations.map((x) => x.tokenFingerprint);
      expect(revoked).toContain(minted[0]?.tokenFingerprint);
    },
  );

  it("a denial that needs no GitHub lookup mints nothing", async () => {
    const mints = h.github.log.mints.length;
    const denied = [
      await traced(alice, "get_file_contents", { owner: "othercorp", repo: "secret", path: "README.md" }),
      await traced(alice, "list_commits", { owner: "facebook", repo: "react", ref: "experimental" }),
      await traced(alice, "compare_refs", { owner: "facebook", repo: "react", base: "main", head: "stable" }),
    ];
    for (const r of denied) expect(r.isError).toBe(true);
    expect(h.github.log.mints.length).toBe(mints);
  });

  it("list_repositories never mints a contents token", async () => {
    const mints = h.github.log.mints.length;
    await traced(alice, "list_repositories", {});
    const minted = h.github.log.mints.slice(mints);
    // Nothing earlier in this file lists installations, so the listing is not cached yet: the loop has work.
    expect(minted.length).toBeGreaterThan(0);
    for (const mint of minted) expect(mint.permissions).toEqual({ metadata: "read" });
  });
});

describe("nothing secret or linkable reaches the model", () => {
  it("no output holds a token, a download URL, a GitHub API link or the upstream address", async () => {
    await traced(alice, "get_file_contents", {
      owner: "mycompany",
      repo: "web",
      path: "public/fonts/icons.woff2",
    });
    await traced(alice, "search_code", { query: "React" });
    await traced(alice, "get_file_contents", { owner: "mycompany", repo: "web", path: "nope.txt" });
    expect(outputs.length).toBeGreaterThan(14);
    const all = outputs.join("\n");
    expect(all).not.toMatch(/ghs_[A-Za-z0-9]/);
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\./);
    for (const key of [
      "download_url",
      "git_url",
      "html_url",
      "_links",
      "blob_url",
      "raw_url",
      "contents_url",
      '\\"url\\"',
    ]) {
      expect(all, key).not.toContain(key);
    }
    expect(all).not.toContain(h.github.url);
    expect(all).not.toContain("127.0.0.1");
  });

  it("an unexpected failure (the audit hook throws) is a generic error with the request id, logged, and fails closed", async () => {
    const mints = h.github.log.mints.length;
    const r = await call(alice, "get_repository_tree", { owner: "mycompany", repo: "api-server" });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^Internal error in get_repository_tree \(request id req-\d+\)/);
    expect(r.text).not.toContain("audit sink unavailable");
    const entry = h.logged.findLast((l) => l.level === "error");
    expect(entry?.fields).toMatchObject({ tool: "get_repository_tree", principal: "user-alice" });
    expect(String(entry?.fields.error)).toContain("audit sink unavailable");
    expect(r.text).toContain(String(entry?.fields.requestId));
    // The hook ran before any read: the token was minted for the ref check, but no tree was fetched.
    await h.broker.tokens.drain();
    expect(h.github.log.mints.length).toBe(mints + 1);
    expect(h.results.findLast((e) => e.tool === "get_repository_tree")).toMatchObject({
      outcome: "error",
      errorCode: "INTERNAL_ERROR",
    });
  });
});

describe("concurrent callers", () => {
  it("20 clients with different principals each see only their own results", async () => {
    const principals: Principal[] = Array.from({ length: 20 }, (_, i) => ({
      sub: `user-concurrent-${i}`,
      email: `c${i}@example.test`,
      groups: i % 2 === 0 ? ["partner-integration"] : ["eng"],
      via: "oidc",
      scopes: ["mcp"],
    }));
    principals.forEach((p, i) => {
      h.addUser(`c${i}`, p);
    });
    const clients = await Promise.all(principals.map((_, i) => h.connect(`c${i}`)));
    try {
      const outcomes = await Promise.all(
        clients.map(async (client, i) => {
          const [file, repos] = await Promise.all([
            call(client, "get_file_contents", {
              owner: "partner-org",
              repo: "shared-sdk",
              path: "README.md",
            }),
            call(client, "list_repositories", { owner: "partner-org" }),
          ]);
          return { i, file, repos: json(repos.result).repositories as Array<{ full_name: string }> };
        }),
      );
      for (const { i, file, repos } of outcomes) {
        if (i % 2 === 0) {
          expect(file.isError, `client ${i}`).toBe(false);
          expect(repos.map((r) => r.full_name)).toEqual(["partner-org/shared-sdk"]);
        } else {
          expect(file.isError, `client ${i}`).toBe(true);
          expect(file.text).toContain("GROUP_REQUIRED");
          expect(repos).toEqual([]);
        }
      }
      for (const event of h.decisions.filter((d) => d.principal.sub.startsWith("user-concurrent-"))) {
        const index = Number(event.principal.sub.split("-").pop());
        expect(event.decision.allowed).toBe(index % 2 === 0);
      }
      const ends = h.results.filter((e) => e.principal.sub.startsWith("user-concurrent-"));
      expect(ends).toHaveLength(40);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});
