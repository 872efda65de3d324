import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Policy, PolicyError, PolicyStore } from "../../src/policy/index.ts";

const policyText = (pattern: string) =>
  `version: 1\nrepositories:\n  - pattern: "${pattern}"\n    operations: [read]\n`;
const broken = 'version: 1\nrepositories:\n  - pattern: "a/b"\n    operations: [write]\n';
const who = { sub: "u", groups: [] };

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("PolicyStore", () => {
  let dir: string;
  let file: string;
  let store: PolicyStore | null = null;
  const applied: Policy[] = [];
  const refused: Error[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "repogate-policy-"));
    file = join(dir, "policy.yaml");
    applied.length = 0;
    refused.length = 0;
  });
  afterEach(async () => {
    store?.close();
    store = null;
    await rm(dir, { recursive: true, force: true });
  });

  const open = (watch: boolean) =>
    PolicyStore.open({
      path: file,
      watch,
      debounceMs: 50,
      onReload: (e) => applied.push(e.policy),
      onReloadError: (error) => refused.push(error),
    });

  it("refuses to start on a broken policy", async () => {
    await writeFile(file, broken);
    await expect(open(false)).rejects.toBeInstanceOf(PolicyError);
  });

  it("reload(): good -> broken keeps the old policy -> good again applies", async () => {
    await writeFile(file, policyText("one/*"));
    store = await open(false);
    expect(store.engine.mayAccess(who, "one/x")).toBe(true);

    await writeFile(file, broken);
    const rejected = await store.reload("signal");
    expect(rejected.status).toBe("rejected");
    expect(refused).toHaveLength(1);
    expect((refused[0] as PolicyError).lines()[0]).toBe(
      'policy.yaml:4: repositories[0].operations[0]: must be one of read, analyze, diff (got "write")',
    );
    expect(store.engine.mayAccess(who, "one/x")).toBe(true); // old policy still in force

    expect((await store.reload()).status).toBe("rejected"); // still broken, still refused

    await writeFile(file, policyText("two/*"));
    const ok = await store.reload();
    expect(ok.status).toBe("applied");
    expect(store.engine.mayAccess(who, "one/x")).toBe(false);
    expect(store.engine.mayAccess(who, "two/x")).toBe(true);
    expect(applied).toHaveLength(1);

    expect((await store.reload()).status).toBe("unchanged");
    expect(applied).toHaveLength(1);
  });

  it("a deleted file is refused and the old policy stays", async () => {
    await writeFile(file, policyText("one/*"));
    store = await open(false);
    await rm(file);
    const result = await store.reload();
    expect(result.status).toBe("rejected");
    expect((refused[0] as PolicyError).code).toBe("POLICY_UNREADABLE");
    expect(store.engine.mayAccess(who, "one/x")).toBe(true);
  });

  it("follows file changes, including an editor's write-then-rename, and refuses a broken save", async () => {
    await writeFile(file, policyText("one/*"));
    store = await open(true);

    await writeFile(file, broken);
    await until(() => refused.length >= 1);
    expect(store.engine.mayAccess(who, "one/x")).toBe(true);

    const tmp = join(dir, ".policy.yaml.swp");
    await writeFile(tmp, policyText("three/*"));
    await rename(tmp, file);
    await until(() => applied.length >= 1);
    expect(store.engine.mayAccess(who, "three/x")).toBe(true);
    expect(store.engine.mayAccess(who, "one/x")).toBe(false);
  });
});
