import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { loadPolicyFile, PolicyError, parseByteSize, parsePolicy } from "../../src/policy/index.ts";

const fixture = (name: string) => new URL(`../fixtures/policies/${name}`, import.meta.url).pathname;

async function issuesOf(name: string) {
  try {
    await loadPolicyFile(fixture(name));
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return error as PolicyError;
  }
  throw new Error(`${name} was accepted`);
}

describe("policy loading", () => {
  it("accepts a valid policy and resolves sizes, defaults and rule lines", async () => {
    const policy = await loadPolicyFile(fixture("good.yaml"));
    expect(policy.rules).toHaveLength(6);
    expect(policy.defaults.maxFileSize).toBe(500_000);
    expect(policy.rules[1]?.maxFileSize).toBe(2 * 1024 * 1024);
    expect(policy.rules[2]?.maxFileSize).toBe(500_000); // inherits defaults
    expect(policy.rules[3]?.branches).toEqual(["main", "release/1.x"]);
    expect(policy.rules[4]?.groups).toEqual(["contractors"]);
    expect(policy.rules[4]?.subjects).toEqual(["user-ceo", "boss@acme.example"]);
    expect(policy.rules[0]?.line).toBe(6);
    expect(policy.rules[0]?.description).toBe("never, for anyone");
    expect(policy.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(policy.source).toBe("good.yaml");
  });

  it("names the line and field of a bad operation", async () => {
    const error = await issuesOf("bad-operation.yaml");
    expect(error.code).toBe("POLICY_INVALID");
    expect(error.issues).toEqual([
      {
        line: 8,
        path: "repositories[1].operations[1]",
        message: 'must be one of read, analyze, diff (got "write")',
      },
    ]);
    expect(error.lines()).toEqual([
      'bad-operation.yaml:8: repositories[1].operations[1]: must be one of read, analyze, diff (got "write")',
    ]);
  });

  it("reports YAML syntax errors with a line", async () => {
    const error = await issuesOf("bad-yaml.yaml.txt");
    expect(error.issues[0]?.line).toBeGreaterThanOrEqual(4);
    expect(error.issues[0]?.message).toMatch(/^YAML: /);
  });

  it("rejects duplicate keys at the duplicate's line", async () => {
    const error = await issuesOf("duplicate-key.yaml");
    expect(error.issues).toEqual([{ line: 5, path: "", message: "YAML: Map keys must be unique" }]);
  });

  it("rejects unknown keys at their own line (strict)", async () => {
    const error = await issuesOf("unknown-key.yaml");
    expect(error.issues[0]).toMatchObject({ line: 5, path: "repositories[0].branch" });
    expect(error.issues[0]?.message).toContain('unknown field "branch"');
  });

  it("rejects bad patterns, one issue per rule, in line order", async () => {
    const error = await issuesOf("bad-pattern.yaml");
    expect(error.issues.map((i) => [i.line, i.path])).toEqual([
      [5, "repositories[1].pattern"],
      [7, "repositories[2].pattern"],
      [9, "repositories[3].pattern"],
      [11, "repositories[4].pattern"],
    ]);
    expect(error.issues[0]?.message).toContain('"**"');
  });

  it("rejects garbage sizes and ambiguous units", async () => {
    const error = await issuesOf("bad-size.yaml");
    expect(error.issues.map((i) => [i.line, i.path])).toEqual([
      [7, "repositories[0].maxFileSize"],
      [10, "repositories[1].maxFileSize"],
    ]);
  });

  it("reports an unreadable file with its own code", async () => {
    await expect(loadPolicyFile(fixture("does-not-exist.yaml"))).rejects.toMatchObject({
      code: "POLICY_UNREADABLE",
    });
  });

  it.each([
    ["", 1, "", /empty/],
    ["version: 2\nrepositories: []\n", 1, "version", /must be 1 \(got number 2\)/],
    ["version: 1\n", 1, "repositories", /is required/],
    ["version: 1\nrepositories:\n  - pattern: a/b\n", 3, "repositories[0].operations", /is required/],
    [
      "version: 1\nrepositories:\n  - pattern: a/b\n    operations: read\n",
      4,
      "repositories[0].operations",
      /must be a list/,
    ],
    [
      "version: 1\nrepositories:\n  - pattern: a/b\n    operations: [read, read]\n",
      4,
      "repositories[0].operations[1]",
      /duplicate operation/,
    ],
    [
      "version: 1\nrepositories:\n  - pattern: a/b\n    operations: [read]\n    branches: []\n",
      5,
      "repositories[0].branches",
      /at least one branch/,
    ],
    [
      "version: 1\nrepositories:\n  - pattern: a/b\n    operations: [read]\n    branches: [main, 'x..y']\n",
      5,
      "repositories[0].branches[1]",
      /not a valid branch name/,
    ],
    [
      "version: 1\nrepositories:\n  - pattern: a/b\n    operations: [read]\n    branches: [refs/heads/main]\n",
      5,
      "repositories[0].branches[0]",
      /branch name itself/,
    ],
    [
      "version: 1\nrepositories:\n  - pattern: a/b\n    operations: [read]\n    groups: []\n",
      5,
      "repositories[0].groups",
      /at least one group/,
    ],
    [
      "version: 1\nrepositories:\n  - pattern: a/b\n    operations: [read]\n    groups: ['eng ']\n",
      5,
      "repositories[0].groups[0]",
      /whitespace/,
    ],
    [
      "version: 1\nrepositories:\n  - pattern: a/b\n    operations: [read]\n    subjects: ['']\n",
      5,
      "repositories[0].subjects[0]",
      /must not be empty/,
    ],
    [
      "version: 1\nrepositories:\n  - pattern: a/b.git\n    operations: [read]\n",
      3,
      "repositories[0].pattern",
      /\.git/,
    ],
    [
      "version: 1\nrepositories:\n  - pattern: -a/b\n    operations: [read]\n",
      3,
      "repositories[0].pattern",
      /not a valid GitHub owner/,
    ],
    [
      "version: 1\nrepositories:\n  - pattern: a/..\n    operations: [read]\n",
      3,
      "repositories[0].pattern",
      /path segment/,
    ],
    [
      "version: 1\nrepositories:\n  - pattern: ｍycompany/*\n    operations: [read]\n",
      3,
      "repositories[0].pattern",
      /ASCII/,
    ],
    [
      "version: 1\ndefaults: {maxFileSize: 0}\nrepositories: []\n",
      2,
      "defaults.maxFileSize",
      /less than 1 byte/,
    ],
    ["version: 1\nextra: true\nrepositories: []\n", 2, "extra", /unknown field "extra"/],
    [
      "a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n",
      null,
      "",
      /alias/i,
    ],
  ])("rejects %j at line %s, %s", (text, line, path, message) => {
    try {
      parsePolicy(text, { source: "p.yaml" });
      expect.unreachable("accepted");
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyError);
      const issue = (error as PolicyError).issues[0];
      expect(issue?.line).toBe(line);
      expect(issue?.path).toBe(path);
      expect(issue?.message).toMatch(message);
    }
  });

  it("parses byte sizes with binary and decimal units and rejects garbage", () => {
    expect(parseByteSize(1024)).toEqual({ ok: true, bytes: 1024 });
    expect(parseByteSize("1MiB")).toEqual({ ok: true, bytes: 1_048_576 });
    expect(parseByteSize("1 MiB")).toEqual({ ok: true, bytes: 1_048_576 });
    expect(parseByteSize("500KB")).toEqual({ ok: true, bytes: 500_000 });
    expect(parseByteSize("2MB")).toEqual({ ok: true, bytes: 2_000_000 });
    expect(parseByteSize("1.5KiB")).toEqual({ ok: true, bytes: 1536 });
    expect(parseByteSize("2048")).toEqual({ ok: true, bytes: 2048 });
    for (const bad of [
      "",
      "1mb",
      "1Mb",
      "MiB",
      "-1",
      "1e6",
      "1 MiB extra",
      "0",
      "0.1B",
      "1..5MiB",
      1.5,
      -3,
      null,
      true,
      [],
      {},
    ]) {
      expect(parseByteSize(bad).ok, JSON.stringify(bad)).toBe(false);
    }
  });

  it("accepts the seed policy of the local stack exactly as DESIGN.md shows it", async () => {
    const path = new URL("../../wrangler-free-local/seed/policy.yaml", import.meta.url).pathname;
    const policy = await loadPolicyFile(path);
    expect(policy.rules.map((r) => r.pattern.source)).toEqual([
      "mycompany/secrets-*",
      "mycompany/*",
      "facebook/react",
      "partner-org/shared-*",
    ]);
    expect(policy.defaults.maxFileSize).toBe(1_048_576);
    expect(await readFile(path, "utf8")).toContain("operations: []");
  });
});
