import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const seed = "wrangler-free-local/seed/policy.yaml";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function repogate(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["bin/repogate.js", ...args],
      { cwd: root, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const explain = (...args: string[]) =>
  repogate(
    "policy",
    "explain",
    "--policy",
    seed,
    "--user",
    "alice@mycompany.example",
    "--groups",
    "eng",
    ...args,
  );

describe("repogate policy check", () => {
  it("accepts the seed policy", async () => {
    const r = await repogate("policy", "check", seed);
    expect(r).toMatchObject({ code: 0, stdout: "OK: 4 rules\n" });
  });

  it("rejects a malformed policy with file:line per error and exit 1", async () => {
    const r = await repogate("policy", "check", "test/fixtures/policies/bad-pattern.yaml");
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^test\/fixtures\/policies\/bad-pattern\.yaml:5: repositories\[1\]\.pattern: /);
  });

  it("--json reports issues with lines", async () => {
    const r = await repogate("policy", "check", "--json", "test/fixtures/policies/bad-operation.yaml");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: false,
      code: "POLICY_INVALID",
      issues: [{ line: 8, path: "repositories[1].operations[1]" }],
    });
  });
});

describe("repogate policy explain (issue 4 checks against the DESIGN.md rules)", () => {
  it("allows mycompany/web read, and MyCompany/Web the same way", async () => {
    const a = await explain("--repo", "mycompany/web", "--operation", "read", "--json");
    const b = await explain("--repo", "MyCompany/Web", "--operation", "read", "--json");
    expect([a.code, b.code]).toEqual([0, 0]);
    const da = JSON.parse(a.stdout).decision;
    const db = JSON.parse(b.stdout).decision;
    expect(da).toMatchObject({ allowed: true, ruleIndex: 1, rulePattern: "mycompany/*" });
    expect({ ...db, displayRepository: da.displayRepository }).toEqual(da);
  });

  it("denies facebook/react analyze naming the rule (human output)", async () => {
    const r = await explain("--repo", "facebook/react", "--operation", "analyze");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("decision:   DENY");
    expect(r.stdout).toContain('rule:       repositories[2] "facebook/react"');
    expect(r.stdout).toContain("OPERATION_NOT_ALLOWED");
  });

  it("denies facebook/react at experimental naming the branch rule; allows main", async () => {
    const denied = JSON.parse(
      (await explain("--repo", "facebook/react", "--operation", "read", "--ref", "experimental", "--json"))
        .stdout,
    );
    expect(denied.decision).toMatchObject({ allowed: false, code: "BRANCH_NOT_ALLOWED", ruleIndex: 2 });
    const main = await explain("--repo", "facebook/react", "--operation", "read", "--ref", "main");
    expect(main.stdout).toContain("decision:   ALLOW");
  });

  it("denies partner-org/shared-sdk outside partner-integration and allows a member", async () => {
    const outsider = await explain("--repo", "partner-org/shared-sdk", "--operation", "read");
    expect(outsider.stdout).toContain("decision:   DENY");
    expect(outsider.stdout).toContain("partner-integration");
    const member = await repogate(
      "policy",
      "explain",
      "--policy",
      seed,
      "--user",
      "user-pat",
      "--groups",
      "partner-integration",
      "--repo",
      "partner-org/shared-sdk",
      "--operation",
      "read",
    );
    expect(member.stdout).toContain("decision:   ALLOW");
  });

  it.each([
    ["othercorp/secret", "NOT_IN_WHITELIST"],
    ["mycompany/../othercorp/secret", "INVALID_REPOSITORY_NAME"],
    ["facebookXreact/x", "NOT_IN_WHITELIST"],
  ])("denies %s as not in whitelist", async (repo, code) => {
    const r = await explain("--repo", repo, "--operation", "read");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("decision:   DENY");
    expect(r.stdout).toContain(code);
    expect(r.stdout).toContain("not in the whitelist");
  });

  it("says a SHA needs GitHub on a branch rule", async () => {
    const r = await explain("--repo", "facebook/react", "--operation", "read", "--ref", "a".repeat(40));
    expect(r.stdout).toContain("UNDECIDED (needs GitHub)");
    expect(r.stdout).toContain("REF_NEEDS_GITHUB");
  });

  it("exits 2 on bad input: unknown operation, missing option, invalid policy", async () => {
    const badOp = await explain("--repo", "mycompany/web", "--operation", "write");
    expect(badOp.code).toBe(2);
    expect(badOp.stderr).toContain("write");
    const missing = await repogate("policy", "explain", "--policy", seed, "--operation", "read");
    expect(missing.code).toBe(2);
    const badPolicy = await repogate(
      "policy",
      "explain",
      "--policy",
      "test/fixtures/policies/bad-operation.yaml",
      "--user",
      "u",
      "--repo",
      "a/b",
      "--operation",
      "read",
    );
    expect(badPolicy.code).toBe(2);
    expect(badPolicy.stderr).toContain("bad-operation.yaml:8:");
  });

  it("documents exit codes in --help", async () => {
    const r = await repogate("policy", "explain", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Exit codes: 0");
    expect((await repogate("policy", "check", "--help")).stdout).toContain("Exit codes: 0");
  });
});

describe("the Node-version notice", () => {
  it("is one line on Node < 22 (not the AWS SDK's nine) and absent on Node 22+", async () => {
    // `audit query` loads the AWS SDK's CloudWatch client, whose own notice this replaces.
    const run = await repogate("audit", "query", "--file", "/nonexistent/audit.jsonl");
    expect(run.stderr).not.toContain("NodeVersionSupportWarning");
    const notices = run.stderr.split("\n").filter((line) => /\bNode\b.*22/.test(line));
    expect(notices).toHaveLength(Number(process.versions.node.split(".")[0]) < 22 ? 1 : 0);
  });
});
