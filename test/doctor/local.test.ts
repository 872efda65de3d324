import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDoctor } from "../../src/doctor/run.ts";
import { type LocalStack, startLocalStack } from "../../wrangler-free-local/stack.ts";

let dir: string;
let stack: LocalStack | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "repogate-doctor-local-"));
  stack = await startLocalStack({
    dataDir: dir,
    ports: { broker: 0, github: 0, idp: 0, aws: 0 },
    logLevel: "silent",
    print: () => undefined,
  });
}, 60_000);
afterAll(async () => {
  await stack?.close();
  await rm(dir, { recursive: true, force: true });
});

async function doctorLocal() {
  const lines: string[] = [];
  const run = await runDoctor({
    local: true,
    dataDir: dir,
    env: { AWS_ACCESS_KEY_ID: "x" },
    timeoutMs: 3_000,
    print: (line) => lines.push(line),
  });
  return { ...run, output: lines.join("\n") };
}

describe("repogate doctor --local", () => {
  it("checks the running local stack from local.json: all green", async () => {
    const { exitCode, results, output } = await doctorLocal();
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ["local stack", "pass"],
      ["broker", "pass"],
      ["policy", "pass"],
      ["idp", "pass"],
      ["github app", "pass"],
      ["github installations", "pass"],
      ["github webhook", "pass"],
      ["aws emulator", "pass"],
      ["audit", "pass"],
    ]);
    expect(output).toContain("all checks passed");
    expect(exitCode).toBe(0);
  });

  it("reports the stopped stack with ✗ and how to start it", async () => {
    await stack?.close();
    stack = undefined;
    const { exitCode, output } = await doctorLocal();
    expect(exitCode).toBe(1);
    expect(output).toMatch(/✗ broker .*\n +fix: start the local stack with `npm start`/);
    expect(output).toMatch(/✗ idp /);
    expect(output).toMatch(/✗ aws emulator /);
  });
});
