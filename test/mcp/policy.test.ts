/** The policy as the tools enforce it: whitelist, groups, branch rules on every ref, search scoping, events. */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type Harness, json, startHarness } from "./harness.ts";

let h: Harness;
let alice: Client;
let pat: Client;
let nobody: Client;
let experimentalSha: string;
let initialSha: string;

async function reactBranches(): Promise<Record<string, string>> {
  return h.broker.tokens.withToken(
    { repository: "facebook/react", operation: "read" },
    h.record,
    async (octokit) => {
      const { data } = await octokit.request("GET /repos/{owner}/{repo}/branches", {
        owner: "facebook",
        repo: "react",
      });
      return Object.fromEntries(data.map((b) => [b.name, b.commit.sha]));
    },
  );
}

function contentReads(since: number, needle: string) {
  return h.github.log.requests
    .slice(since)
    .filter((r) => decodeURIComponent(`${r.path}?${r.query}`).includes(needle));
}

beforeAll(async () => {
  h = await startHarness();
  [alice, pat, nobody] = await Promise.all([h.connect("alice"), h.connect("pat"), h.connect("nobody")]);
  const branches = await reactBranches();
  experimentalSha = branches.experimental ?? "";
  const commits = await call(alice, "list_commits", {
    owner: "facebook",
    repo: "react",
    ref: "main",
    per_page: 100,
  });
  const list = json(commits.result).commits as Array<{ sha: string }>;
  initialSha = list[list.length - 1]?.sha ?? "";
}, 30_000);

afterAll(async () => {
  await Promise.all([alice?.close(), pat?.close(), nobody?.close()]);
  await h?.close();
});

describe("whitelist and groups", () => {
  it("othercorp/secret is a tool error saying it is not in the whitelist, and no token is minted", async () => {
    const mints = h.github.log.mints.length;
    const r = await call(alice, "get_file_contents", {
      owner: "othercorp",
      repo: "secret",
      path: "README.md",
    });
    expect(r.isError).toBe(true);
    expect(r.text).toContain("othercorp/secret is not in the whitelist");
    expect(r.text).toContain("NOT_IN_WHITELIST");
    expect(r.text).toContain("list_repositories");
    expect(h.github.log.mints.length).toBe(mints);
  });

  it("the explicit deny rule shadows mycompany/* for mycompany/secrets-vault", async () => {
    const r = await call(alice, "list_branches", { owner: "mycompany", repo: "secrets-vault" });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('rule #1 "mycompany/secrets-*"');
    expect(r.text).toContain("EXPLICIT_DENY");
  });

  it("partner-org/shared-sdk is readable for the partner group only", async () => {
    const ok = await call(pat, "get_file_contents", { owner: "partner-org", repo: "shared-sdk", path: "" });
    expect(ok.isError).toBe(false);
    expect(ok.text).toContain("README");
    const denied = await call(alice, "get_file_contents", {
      owner: "partner-org",
      repo: "shared-sdk",
      path: "",
    });
    expect(denied.isError).toBe(true);
    expect(denied.text).toContain("GROUP_REQUIRED");
    expect(denied.text).toContain("partner-integration");
  });

  it("list_repositories shows each caller only what the policy and the installations allow", async () => {
    const names = async (client: Client) =>
      (
        (json((await call(client, "list_repositories", {})).result).repositories as Array<{
          full_name: string;
        }>) ?? []
      )
        .map((r) => r.full_name)
        .sort();
    const everyone = ["facebook/react", "mycompany/api-server", "mycompany/web"];
    expect(await names(alice)).toEqual(everyone);
    expect(await names(nobody)).toEqual(everyone);
    expect(await names(pat)).toEqual([...everyone, "partner-org/shared-sdk"].sort());
    const mine = json((await call(pat, "list_repositories", { owner: "partner-org" })).result);
    expect(mine.repositories).toEqual([
      expect.objectContaining({
        full_name: "partner-org/shared-sdk",
        operations: ["read", "analyze"],
        branches: "any",
      }),
    ]);
    const react = (
      json((await call(alice, "list_repositories", { owner: "facebook" })).result).repositories as unknown[]
    )[0];
    expect(react).toMatchObject({
      operations: ["read"],
      branches: ["main", "stable"],
      default_branch_allowed: true,
    });
  });

  it("list_repositories for an owner the caller may not read is empty with an explanation", async () => {
    const r = await call(alice, "list_repositories", { owner: "othercorp" });
    expect(r.isError).toBe(false);
    expect(json(r.result).count).toBe(0);
    expect(r.text).toContain("No repository of othercorp is available to you");
  });

  it("the repository listing tokens are metadata-only, unnarrowed, granted through the broker and revoked", async () => {
    await h.broker.tokens.drain();
    const listingGrants = h.grants.filter((g) => g.purpose === "installation-listing");
    expect(listingGrants.length).toBeGreaterThan(0);
    const revoked = new Set(h.github.log.revocations.map((r) => r.tokenFingerprint));
    const listingMints = h.github.log.mints.filter((m) => !m.narrowed);
    expect(listingMints.length).toBe(listingGrants.length);
    for (const mint of listingMints) {
      expect(mint.permissions).toEqual({ metadata: "read" });
      expect(revoked.has(mint.tokenFingerprint)).toBe(true);
      // Every unnarrowed mint was recorded in its call's record (emulator fingerprints are 12 hex, the broker's 16).
      expect(listingGrants.some((g) => g.fingerprint.startsWith(mint.tokenFingerprint))).toBe(true);
    }
    for (const grant of listingGrants) {
      expect(grant).toMatchObject({
        repositories: [],
        repositorySelection: "all",
        permissions: { metadata: "read" },
      });
      expect(
        h.revocations.some(
          (r) =>
            r.fingerprint === grant.fingerprint &&
            r.purpose === "installation-listing" &&
            r.reason === "completed",
        ),
      ).toBe(true);
    }
    // othercorp has no installation, so nothing was ever minted for it.
    expect(h.github.log.mints.some((m) => m.repositories.some((r) => r.startsWith("othercorp/")))).toBe(
      false,
    );
  });
});

describe("branch rules on every ref", () => {
  it("facebook/react at experimental is a tool error naming the branch rule, without a token", async () => {
    const mints = h.github.log.mints.length;
    const r = await call(alice, "get_file_contents", {
      owner: "facebook",
      repo: "react",
      path: "README.md",
      ref: "experimental",
    });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(
      /^Access denied by rule #3 "facebook\/react" \(repositories\[2\]\) \[BRANCH_NOT_ALLOWED\]: this rule allows only the branches main, stable/,
    );
    expect(r.text).toContain('"experimental" is not one of them');
    expect(r.text).toContain("branches main, stable");
    expect(h.github.log.mints.length).toBe(mints);
  });

  it("a SHA reachable only from experimental is denied and nothing at it is read", async () => {
    expect(experimentalSha).toMatch(/^[0-9a-f]{40}$/);
    const since = h.github.log.requests.length;
    const r = await call(alice, "get_file_contents", {
      owner: "facebook",
      repo: "react",
      path: "packages/react-server/src/ReactServerActions.js",
      ref: experimentalSha,
    });
    expect(r.isError).toBe(true);
    expect(r.text).toContain("REF_NOT_REACHABLE");
    expect(r.text).toContain(`commit ${experimentalSha} is not reachable`);
    expect(contentReads(since, "/contents/")).toHaveLength(0);
    expect(contentReads(since, "/compare/main...")).toHaveLength(1);
  });

  it("a SHA on main is allowed", async () => {
    const r = await call(alice, "get_file_contents", {
      owner: "facebook",
      repo: "react",
      path: "README.md",
      ref: initialSha,
    });
    expect(r.isError).toBe(false);
    expect(r.text).toContain("# React");
    expect(r.text).toContain(`at ${initialSha}`);
  });

  it("an abbreviated SHA on main is checked and read as the full commit SHA, never as the abbreviation", async () => {
    const short = initialSha.slice(0, 10);
    const since = h.github.log.requests.length;
    const r = await call(alice, "get_file_contents", {
      owner: "facebook",
      repo: "react",
      path: "README.md",
      ref: short,
    });
    expect(r.isError).toBe(false);
    expect(r.text).toContain(`at ${initialSha}`);
    expect(contentReads(since, `/compare/main...${initialSha}`)).toHaveLength(1);
    expect(contentReads(since, `/contents/README.md`)).toEqual([
      expect.objectContaining({ query: expect.stringContaining(`ref=${initialSha}`) }),
    ]);
    // Neither the check nor the read sends the bare abbreviation, which a branch or tag created under that
    // hex name in the meantime would take over.
    const bare = new RegExp(`${short}(?![0-9a-f])`);
    const checksAndReads = contentReads(since, "/co").filter((q) => /\/(compare|contents)\//.test(q.path));
    expect(checksAndReads).toHaveLength(2);
    for (const q of checksAndReads) expect(decodeURIComponent(`${q.path}?${q.query}`)).not.toMatch(bare);
  });

  it("tags are denied where branches are restricted", async () => {
    const r = await call(alice, "list_commits", { owner: "facebook", repo: "react", ref: "v18.2.0" });
    expect(r.isError).toBe(true);
    expect(r.text).toContain("tags and other refs are denied");
  });

  it("get_commit checks its ref: the experimental head is denied", async () => {
    const r = await call(alice, "get_commit", { owner: "facebook", repo: "react", ref: experimentalSha });
    expect(r.isError).toBe(true);
    expect(r.text).toContain("REF_NOT_REACHABLE");
  });

  it("get_repository_tree and list_commits apply the rule too; list_branches hides disallowed branches", async () => {
    const tree = await call(alice, "get_repository_tree", {
      owner: "facebook",
      repo: "react",
      ref: "experimental",
    });
    expect(tree.isError).toBe(true);
    const branches = await call(alice, "list_branches", { owner: "facebook", repo: "react" });
    const names = (json(branches.result).branches as Array<{ name: string }>).map((b) => b.name);
    expect(names).toEqual(["main", "stable"]);
  });

  it("compare_refs with an unknown ref answers with GitHub's 404", async () => {
    const r = await call(alice, "compare_refs", {
      owner: "mycompany",
      repo: "web",
      base: "main",
      head: "no-such-branch",
    });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/GitHub returned 404 Not Found|not found/);
  });
});

describe("search_code scoping", () => {
  it("a caller's repo:othercorp/secret cannot reach it", async () => {
    const since = h.github.log.requests.length;
    const r = await call(alice, "search_code", { query: "secret repo:othercorp/secret" });
    expect(r.isError).toBe(true);
    expect(r.text).toContain("othercorp/secret is not in the whitelist");
    const searches = h.github.log.requests.slice(since).filter((q) => q.path === "/search/code");
    expect(searches).toHaveLength(0);
  });

  it("mixed qualifiers are intersected: only the allowed repository is searched", async () => {
    const since = h.github.log.requests.length;
    const r = await call(alice, "search_code", { query: "React repo:othercorp/secret repo:mycompany/web" });
    expect(r.isError).toBe(false);
    const s = json(r.result) as { searched_repositories: string[]; items: Array<{ repository: string }> };
    expect(s.searched_repositories).toEqual(["mycompany/web"]);
    for (const item of s.items) expect(item.repository).toBe("mycompany/web");
    expect(r.text).toContain("Not searched: Access denied [NOT_IN_WHITELIST]");
    const searches = h.github.log.requests.slice(since).filter((q) => q.path === "/search/code");
    expect(searches).toHaveLength(1);
    expect(decodeURIComponent(searches[0]?.query ?? "")).not.toContain("othercorp");
  });

  it("an open quote or a trailing operator cannot unbind repogate's own repo: qualifiers", async () => {
    const since = h.github.log.requests.length;
    for (const query of ['React"', "React NOT"]) {
      const r = await call(alice, "search_code", { query });
      expect(r.isError, query).toBe(true);
      expect(r.text).toMatch(/unbalanced|cannot end with the operator/);
    }
    expect(h.github.log.requests.slice(since).filter((q) => q.path === "/search/code")).toHaveLength(0);
  });

  it("org: narrows, never widens", async () => {
    const none = await call(alice, "search_code", { query: "secret org:othercorp" });
    expect(none.isError).toBe(true);
    expect(none.text).toContain("No repository you may analyze matches");
    const react = await call(alice, "search_code", { query: "createElement repo:facebook/react" });
    expect(react.isError).toBe(true);
    expect(react.text).toContain("OPERATION_NOT_ALLOWED");
  });

  it("the partner user searches shared-sdk; others do not", async () => {
    const p = await call(pat, "search_code", { query: "sdk org:partner-org" });
    expect(p.isError).toBe(false);
    expect(json(p.result).searched_repositories).toEqual(["partner-org/shared-sdk"]);
    const a = await call(alice, "search_code", { query: "sdk org:partner-org" });
    expect(a.isError).toBe(true);
  });
});

describe("the call record", () => {
  it("a denial is recorded as a decision naming the rule and a result with outcome denied", async () => {
    const r = await call(nobody, "get_repository_tree", {
      owner: "facebook",
      repo: "react",
      ref: "experimental",
    });
    expect(r.isError).toBe(true);
    const decision = h.decisions.findLast((d) => d.principal.sub === "user-nobody");
    expect(decision).toMatchObject({
      tool: "get_repository_tree",
      repository: "facebook/react",
      operation: "read",
      ref: "experimental",
      decision: { allowed: false, code: "BRANCH_NOT_ALLOWED", ruleIndex: 2 },
    });
    const result = h.results.findLast((e) => e.principal.sub === "user-nobody");
    expect(result).toMatchObject({
      tool: "get_repository_tree",
      repository: "facebook/react",
      outcome: "denied",
      errorCode: "BRANCH_NOT_ALLOWED",
    });
    expect(result?.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("an allowed call reports ok; an upstream failure reports error with its code", async () => {
    await call(nobody, "get_file_contents", { owner: "mycompany", repo: "web", path: "README.md" });
    expect(h.results.findLast((e) => e.principal.sub === "user-nobody")).toMatchObject({ outcome: "ok" });
    await call(nobody, "get_file_contents", { owner: "mycompany", repo: "web", path: "missing.txt" });
    expect(h.results.findLast((e) => e.principal.sub === "user-nobody")).toMatchObject({
      outcome: "error",
      errorCode: "GITHUB_UPSTREAM_ERROR",
    });
  });
});
