/** A policy reload in the middle of a tool call must not mix two policies in one answer. */
import { describe, expect, it } from "vitest";
import { PolicyEngine, parsePolicy } from "../../src/policy/index.ts";
import { call, json, startHarness } from "./harness.ts";

const policy = (yaml: string) => new PolicyEngine(parsePolicy(`version: 1\nrepositories:\n${yaml}`));

// Before the reload: read at any ref, no diff. After: diff too, but only on main.
const BEFORE = policy('  - pattern: "mycompany/web"\n    operations: [read]\n');
const AFTER = policy('  - pattern: "mycompany/web"\n    operations: [read, diff]\n    branches: [main]\n');

describe("get_commit across a policy reload", () => {
  it("takes the diff decision from the policy that checked the ref, not from the reloaded one", async () => {
    let next = BEFORE;
    // Every read of the policy after the first one sees the reloaded policy.
    const source = {
      current: () => {
        const engine = next;
        next = AFTER;
        return engine;
      },
    };
    const h = await startHarness({ policySource: source });
    const alice = await h.connect("alice");
    try {
      next = BEFORE;
      const r = await call(alice, "get_commit", { owner: "mycompany", repo: "web", ref: "feature/x" });
      expect(r.isError).toBe(false);
      const commit = json(r.result) as { files: Array<Record<string, unknown>> };
      expect(commit.files.length).toBeGreaterThan(0);
      // Under BEFORE there is no diff; under AFTER feature/x is not allowed: neither gives these patches.
      for (const file of commit.files) expect(file).not.toHaveProperty("patch");
      expect(r.text).toContain("Patches are not included");
    } finally {
      await alice.close();
      await h.close();
    }
  }, 30_000);
});
