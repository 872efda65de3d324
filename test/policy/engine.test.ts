import { beforeAll, describe, expect, it } from "vitest";
import {
  branchAllowed,
  checkRef,
  explainRefWithoutGitHub,
  loadPolicyFile,
  PolicyEngine,
  type PolicyPrincipal,
  parsePolicy,
  type RefResolver,
} from "../../src/policy/index.ts";

const alice: PolicyPrincipal = { sub: "user-alice", email: "alice@mycompany.example", groups: ["eng"] };
const pat: PolicyPrincipal = {
  sub: "user-pat",
  email: "pat@partner.example",
  groups: ["partner-integration"],
};

let engine: PolicyEngine;
beforeAll(async () => {
  engine = new PolicyEngine(
    await loadPolicyFile(new URL("../../wrangler-free-local/seed/policy.yaml", import.meta.url).pathname),
  );
});

/** A stand-in for the GitHub layer's resolver: the interface is the caller's, so a plain object is fair. */
function fakeRepo(options: {
  defaultBranch: string;
  branches: Record<string, string[]>; // branch -> commits reachable from it
  tags?: string[];
}): RefResolver & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async defaultBranch() {
      calls.push("defaultBranch");
      return options.defaultBranch;
    },
    async classifyRef(ref) {
      calls.push(`classify:${ref}`);
      if (ref in options.branches) return "branch";
      if (options.tags?.includes(ref)) return "tag";
      const all = Object.values(options.branches).flat();
      return all.some((sha) => sha.startsWith(ref.toLowerCase())) ? "commit" : "unknown";
    },
    async isCommitReachableFrom(sha, branch) {
      calls.push(`reachable:${sha}:${branch}`);
      return (options.branches[branch] ?? []).some((c) => c.startsWith(sha));
    },
  };
}

describe("PolicyEngine against the seed policy (issue 4, How it will be checked)", () => {
  it("allows mycompany/web read by rule 1", () => {
    const d = engine.decide({ principal: alice, repository: "mycompany/web", operation: "read" });
    expect(d).toMatchObject({
      allowed: true,
      code: "ALLOWED",
      ruleIndex: 1,
      rulePattern: "mycompany/*",
      repository: "mycompany/web",
    });
    expect(d.allowedOperations).toEqual(["read", "analyze", "diff"]);
    expect(d.allowedBranches).toBeNull();
    expect(d.refCheckRequired).toBe(false);
    expect(engine.maxFileSizeFor(d)).toBe(1_048_576);
  });

  it("gives MyCompany/Web the same decision as mycompany/web, keeping the spelling for display", () => {
    const lower = engine.decide({ principal: alice, repository: "mycompany/web", operation: "read" });
    const mixed = engine.decide({ principal: alice, repository: "MyCompany/Web", operation: "read" });
    expect({ ...mixed, displayRepository: lower.displayRepository }).toEqual(lower);
    expect(mixed.displayRepository).toBe("MyCompany/Web");
  });

  it("denies by the explicit deny rule placed before the broader one, whatever the case", () => {
    for (const repository of ["mycompany/secrets-prod", "MYCOMPANY/SECRETS-prod", "mycompany/secrets-"]) {
      const d = engine.decide({ principal: alice, repository, operation: "read" });
      expect(d).toMatchObject({
        allowed: false,
        code: "EXPLICIT_DENY",
        ruleIndex: 0,
        rulePattern: "mycompany/secrets-*",
      });
    }
    expect(
      engine.decide({ principal: alice, repository: "mycompany/secrets", operation: "read" }),
    ).toMatchObject({
      allowed: true,
      ruleIndex: 1,
    });
  });

  it("denies facebook/react analyze naming the rule and the operations it allows", () => {
    const d = engine.decide({ principal: alice, repository: "facebook/react", operation: "analyze" });
    expect(d).toMatchObject({
      allowed: false,
      code: "OPERATION_NOT_ALLOWED",
      ruleIndex: 2,
      allowedOperations: ["read"],
    });
    expect(d.reason).toContain('repositories[2] "facebook/react"');
    expect(d.reason).toContain("allows only read");
  });

  it("denies facebook/react at branch experimental naming the branch rule, allows main and stable", () => {
    const exp = engine.decide({
      principal: alice,
      repository: "facebook/react",
      operation: "read",
      ref: "experimental",
    });
    expect(exp).toMatchObject({
      allowed: false,
      code: "BRANCH_NOT_ALLOWED",
      ruleIndex: 2,
      allowedBranches: ["main", "stable"],
    });
    expect(exp.reason).toContain('repositories[2] "facebook/react"');
    expect(exp.reason).toContain("main, stable");
    for (const ref of ["main", "stable"]) {
      const d = engine.decide({ principal: alice, repository: "facebook/react", operation: "read", ref });
      expect(d).toMatchObject({
        allowed: true,
        refCheckRequired: false,
        ref: { kind: "branch", branch: ref },
      });
    }
    // Git branch names are case-sensitive: "Main" is another branch.
    expect(
      engine.decide({ principal: alice, repository: "facebook/react", operation: "read", ref: "Main" })
        .allowed,
    ).toBe(false);
  });

  it("denies partner-org/shared-sdk to a user outside partner-integration and allows a member", () => {
    const outsider = engine.decide({
      principal: alice,
      repository: "partner-org/shared-sdk",
      operation: "read",
    });
    expect(outsider).toMatchObject({ allowed: false, code: "GROUP_REQUIRED", ruleIndex: null });
    expect(outsider.reason).toContain("not in the whitelist");
    expect(outsider.reason).toContain("partner-integration");
    expect(outsider.skippedRules).toEqual([
      { ruleIndex: 3, rulePattern: "partner-org/shared-*", groups: ["partner-integration"], subjects: null },
    ]);
    const member = engine.decide({
      principal: pat,
      repository: "partner-org/shared-sdk",
      operation: "analyze",
    });
    expect(member).toMatchObject({ allowed: true, ruleIndex: 3 });
    expect(
      engine.decide({ principal: pat, repository: "partner-org/shared-sdk", operation: "diff" }),
    ).toMatchObject({
      allowed: false,
      code: "OPERATION_NOT_ALLOWED",
    });
    // Group names are exact: a differently-cased group is another group.
    const shouting = { ...alice, groups: ["PARTNER-INTEGRATION"] };
    expect(
      engine.decide({ principal: shouting, repository: "partner-org/shared-sdk", operation: "read" }).allowed,
    ).toBe(false);
  });

  it("denies othercorp/secret as not in the whitelist", () => {
    const d = engine.decide({ principal: alice, repository: "othercorp/secret", operation: "read" });
    expect(d).toMatchObject({ allowed: false, code: "NOT_IN_WHITELIST", ruleIndex: null });
    expect(d.reason).toContain("not in the whitelist");
  });

  it.each([
    "mycompany/../othercorp/secret",
    "mycompany/..",
    "mycompany/%2e%2e",
    "mycompany%2Fweb",
    "mycompany/web/",
    "mycompany//web",
    "/mycompany/web",
    "mycompany/web.git",
    "ｍycompany/web",
    "mycompаny/web", // Cyrillic а
    "mycompany/web\n",
    " mycompany/web",
    "mycompany\\web",
    "facebook-react",
  ])("denies %j as an invalid repository name that is not in the whitelist", (repository) => {
    const d = engine.decide({ principal: alice, repository, operation: "read" });
    expect(d).toMatchObject({ allowed: false, code: "INVALID_REPOSITORY_NAME", ruleIndex: null });
    expect(d.reason).toContain("not in the whitelist");
    expect(d.reason).not.toMatch(/[\n\u0430\uff4d]/); // the input is escaped in the reason
  });

  it.each([
    "facebookXreact/x",
    "facebookXreact/react",
    "facebook/reactX",
    "facebook/reac",
    "xfacebook/react",
    "mycompanyX/web",
    "partner-orgX/shared-sdk",
  ])("does not match %j, which only a regex or a prefix test would", (repository) => {
    const d = engine.decide({ principal: pat, repository, operation: "read" });
    expect(d).toMatchObject({ allowed: false, code: "NOT_IN_WHITELIST" });
  });

  it("refuses an unknown operation instead of matching it", () => {
    const d = engine.decide({ principal: alice, repository: "mycompany/web", operation: "write" as never });
    expect(d).toMatchObject({ allowed: false, code: "INVALID_OPERATION" });
  });

  it("lists the rules a principal can see and filters installation repositories", () => {
    expect(engine.visibleRules(alice).map((r) => r.pattern)).toEqual([
      "mycompany/secrets-*",
      "mycompany/*",
      "facebook/react",
    ]);
    expect(engine.visibleRules(pat).map((r) => r.ruleIndex)).toEqual([0, 1, 2, 3]);
    const installation = [
      "mycompany/web",
      "mycompany/secrets-x",
      "facebook/react",
      "partner-org/shared-sdk",
      "other/x",
    ];
    expect(engine.filterRepositories(alice, installation)).toEqual(["mycompany/web", "facebook/react"]);
    expect(engine.filterRepositories(pat, installation, "analyze")).toEqual([
      "mycompany/web",
      "partner-org/shared-sdk",
    ]);
    expect(engine.mayAccess(alice, "MyCompany/API")).toBe(true);
  });
});

describe("branch rules with a resolver (checkRef)", () => {
  const main = "a".repeat(40);
  const stableOnly = "b".repeat(40);
  const experimentalOnly = "c".repeat(40);
  const repo = () =>
    fakeRepo({
      defaultBranch: "main",
      branches: {
        main: [main],
        stable: [main, stableOnly],
        experimental: [main, experimentalOnly],
        "1234567": [],
      },
      tags: ["v18.0.0"],
    });
  const decideReact = () =>
    engine.decide({ principal: alice, repository: "facebook/react", operation: "read" });

  it("requires a ref check for a branch-restricted rule and settles the default branch through the resolver", async () => {
    const d = decideReact();
    expect(d).toMatchObject({ allowed: true, refCheckRequired: true });
    const r = repo();
    const checked = await checkRef(d, undefined, r);
    expect(checked).toMatchObject({
      allowed: true,
      refCheckRequired: false,
      ref: { input: null, kind: "default-branch", branch: "main" },
    });
    expect(r.calls).toEqual(["defaultBranch"]);
  });

  it("denies when the default branch is not listed", async () => {
    const r = fakeRepo({ defaultBranch: "trunk", branches: {} });
    const checked = await checkRef(decideReact(), undefined, r);
    expect(checked).toMatchObject({ allowed: false, code: "BRANCH_NOT_ALLOWED" });
    expect(checked.reason).toContain('"trunk"');
  });

  it("allows a full SHA reachable from a listed branch, checking branches in order and stopping at the first hit", async () => {
    const r = repo();
    const checked = await checkRef(decideReact(), stableOnly.toUpperCase(), r);
    expect(checked).toMatchObject({
      allowed: true,
      ref: { kind: "commit", branch: "stable", sha: stableOnly },
    });
    expect(r.calls).toEqual([`reachable:${stableOnly}:main`, `reachable:${stableOnly}:stable`]);
  });

  it("denies a SHA reachable only from an unlisted branch", async () => {
    const checked = await checkRef(decideReact(), experimentalOnly, repo());
    expect(checked).toMatchObject({ allowed: false, code: "REF_NOT_REACHABLE", ruleIndex: 2 });
    expect(checked.reason).toContain("main, stable");
  });

  it("classifies an abbreviated SHA first: commit, unlisted branch with a hex name, unknown", async () => {
    const r = repo();
    expect(await checkRef(decideReact(), "bbbbbbb", r)).toMatchObject({
      allowed: true,
      ref: { branch: "stable" },
    });
    expect(await checkRef(decideReact(), "1234567", r)).toMatchObject({
      allowed: false,
      code: "BRANCH_NOT_ALLOWED",
    });
    expect(await checkRef(decideReact(), "deadbeef", r)).toMatchObject({
      allowed: false,
      code: "REF_NOT_FOUND",
    });
  });

  it("checks and pins an abbreviated SHA as the full commit SHA the resolver found", async () => {
    const calls: string[] = [];
    const resolver: RefResolver = {
      defaultBranch: async () => "main",
      classifyRef: async (ref) => {
        calls.push(`classify:${ref}`);
        return { kind: "commit", sha: stableOnly };
      },
      isCommitReachableFrom: async (sha, branch) => {
        calls.push(`reachable:${sha}:${branch}`);
        return branch === "stable" && sha === stableOnly;
      },
    };
    const checked = await checkRef(decideReact(), "BBBBBBB", resolver);
    expect(checked).toMatchObject({
      allowed: true,
      ref: { input: "BBBBBBB", kind: "commit", branch: "stable", sha: stableOnly },
    });
    expect(calls).toEqual([
      "classify:BBBBBBB",
      `reachable:${stableOnly}:main`,
      `reachable:${stableOnly}:stable`,
    ]);
    // A "full" SHA that does not extend the abbreviation is not trusted: the abbreviation is checked as given.
    const liar: RefResolver = { ...resolver, classifyRef: async () => ({ kind: "commit", sha: main }) };
    expect(await checkRef(decideReact(), "bbbbbbb", liar)).toMatchObject({ ref: { sha: "bbbbbbb" } });
  });

  it("denies tags and other refs without asking GitHub", async () => {
    const r = repo();
    for (const [ref, code] of [
      ["v18.0.0", "BRANCH_NOT_ALLOWED"],
      ["refs/heads/main", "REF_NOT_ALLOWED"],
      ["refs/tags/v18.0.0", "REF_NOT_ALLOWED"],
      ["HEAD", "REF_NOT_ALLOWED"],
      ["HEAD~1", "INVALID_REF"],
      ["main^", "INVALID_REF"],
      ["main@{1}", "INVALID_REF"],
      ["main..stable", "INVALID_REF"],
      ["-main", "INVALID_REF"],
      ["ma\u0000in", "INVALID_REF"],
      ["main\u202e", "INVALID_REF"],
      ["ma%69n", "INVALID_REF"],
      ["", "INVALID_REF"],
    ] as const) {
      expect(await checkRef(decideReact(), ref, r), ref).toMatchObject({ allowed: false, code });
    }
    expect(r.calls).toEqual([]);
  });

  it("allows any syntactically valid ref on a rule without branches, still refusing bad syntax", async () => {
    const d = engine.decide({ principal: alice, repository: "mycompany/web", operation: "read" });
    const r = repo();
    expect(await checkRef(d, "feature/x", r)).toMatchObject({ allowed: true });
    expect(await checkRef(d, "v1.0.0", r)).toMatchObject({ allowed: true });
    expect(await checkRef(d, "a..b", r)).toMatchObject({ allowed: false, code: "INVALID_REF" });
    expect(await checkRef(d, "x.lock", r)).toMatchObject({ allowed: false, code: "INVALID_REF" });
    expect(r.calls).toEqual([]);
  });

  it("keeps a denial a denial and propagates resolver failures (fail closed)", async () => {
    const denied = engine.decide({ principal: alice, repository: "othercorp/x", operation: "read" });
    expect(await checkRef(denied, "main", repo())).toBe(denied);
    const broken: RefResolver = {
      defaultBranch: () => Promise.reject(new Error("GitHub down")),
      classifyRef: () => Promise.reject(new Error("GitHub down")),
      isCommitReachableFrom: () => Promise.reject(new Error("GitHub down")),
    };
    await expect(checkRef(decideReact(), main, broken)).rejects.toThrow("GitHub down");
  });

  it("explains offline: a 40-hex ref needs GitHub, a known default branch settles the no-ref case", () => {
    const sha = explainRefWithoutGitHub(decideReact(), main);
    expect(sha).toMatchObject({
      allowed: false,
      code: "REF_NEEDS_GITHUB",
      ref: { kind: "commit", sha: main },
    });
    expect(sha.reason).toContain("needs GitHub");
    expect(explainRefWithoutGitHub(decideReact(), undefined)).toMatchObject({ code: "REF_NEEDS_GITHUB" });
    expect(explainRefWithoutGitHub(decideReact(), undefined, { defaultBranch: "stable" })).toMatchObject({
      allowed: true,
    });
    expect(explainRefWithoutGitHub(decideReact(), undefined, { defaultBranch: "dev" })).toMatchObject({
      code: "BRANCH_NOT_ALLOWED",
    });
  });

  it("answers which branches list_branches may show", () => {
    const d = decideReact();
    expect(["main", "stable", "experimental"].filter((b) => branchAllowed(d, b))).toEqual(["main", "stable"]);
    const web = engine.decide({ principal: alice, repository: "mycompany/web", operation: "read" });
    expect(branchAllowed(web, "anything")).toBe(true);
  });
});

describe("rule audience (groups and subjects)", () => {
  const policy = parsePolicy(
    [
      "version: 1",
      "repositories:",
      '  - pattern: "acme/*"',
      "    operations: []",
      "    groups: [contractors]",
      '  - pattern: "acme/*"',
      "    operations: [read]",
      "    maxFileSize: 10KB",
      '  - pattern: "vip/*"',
      "    operations: [read]",
      "    groups: [vips]",
      "    subjects: [user-ceo, Boss@Acme.example]",
    ].join("\n"),
  );
  const e = new PolicyEngine(policy);

  it("a deny rule limited to a group denies that group only; others fall through to the next rule", () => {
    expect(
      e.decide({ principal: { sub: "c", groups: ["contractors"] }, repository: "acme/x", operation: "read" }),
    ).toMatchObject({
      allowed: false,
      code: "EXPLICIT_DENY",
      ruleIndex: 0,
    });
    const staff = e.decide({
      principal: { sub: "s", groups: ["staff"] },
      repository: "acme/x",
      operation: "read",
    });
    expect(staff).toMatchObject({ allowed: true, ruleIndex: 1, maxFileSize: 10_000 });
    expect(staff.skippedRules.map((s) => s.ruleIndex)).toEqual([0]);
  });

  it("subjects match the token's sub exactly; an email claim never grants a rule (nOAuth)", () => {
    const d = (p: PolicyPrincipal) =>
      e.decide({ principal: p, repository: "vip/x", operation: "read" }).allowed;
    expect(d({ sub: "user-ceo", groups: [] })).toBe(true);
    expect(d({ sub: "USER-CEO", groups: [] })).toBe(false);
    expect(d({ sub: "Boss@Acme.example", groups: [] })).toBe(true);
    expect(d({ sub: "x", email: "Boss@Acme.example", groups: [] })).toBe(false);
    expect(d({ sub: "x", email: "boss@acme.example", groups: [] })).toBe(false);
    expect(d({ sub: "x", groups: ["vips"] })).toBe(true);
    expect(d({ sub: "x", groups: [] })).toBe(false);
  });
});
