import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.ts";
import type { AuditEvent } from "../../src/audit/event.ts";
import { listJsonlFiles } from "../../src/audit/jsonl-files.ts";
import { JsonlAuditSink } from "../../src/audit/jsonl-sink.ts";
import { CloudWatchAuditSink } from "../../src/aws/cloudwatch-audit-sink.ts";
import { type RunningAwsEmulator, startAwsEmulator } from "../../wrangler-free-local/aws/index.ts";
import { tempDir, toolCall } from "./helpers.ts";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..", "..");

/** The CLI must find the local emulator without real AWS credentials in the environment. */
function withoutAwsCredentials(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"])
    delete env[name];
  return env;
}

async function repogate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [join(ROOT, "bin", "repogate.js"), "audit", ...args],
      {
        cwd: ROOT,
        env: withoutAwsCredentials(),
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let work: { dir: string; cleanup: () => Promise<void> };
let auditDir: string;
let emulator: RunningAwsEmulator;
const recorded: AuditEvent[] = [];
const alice = { sub: "sub-alice", email: "alice@mycompany.example", groups: ["eng"], via: "oidc" as const };
const bob = { sub: "sub-bob", email: "Bob@MyCompany.example", groups: ["partner"], via: "oidc" as const };

async function recordSample(log: AuditLog): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  out.push(await log.record({ type: "policy.load", outcome: "ok", details: { digest: "abc", rules: 4 } }));
  out.push(
    await log.record({
      type: "token.grant",
      principal: alice,
      resource: { repo: "mycompany/web" },
      token: { fingerprint: "0123456789abcdef", installationId: 1, repositories: ["mycompany/web"] },
    }),
  );
  out.push(await log.record(toolCall(1, "alice@mycompany.example", "mycompany/web")));
  out.push(
    await log.record({
      type: "access.deny",
      principal: bob,
      resource: { repo: "mycompany/secrets-vault" },
      operation: "read",
      decision: {
        allowed: false,
        rule: "mycompany/secrets-*",
        reason: "explicit deny",
        code: "OPERATION_NOT_ALLOWED",
      },
      outcome: "denied",
    }),
  );
  out.push(
    await log.record({ type: "auth.fail", request: { ip: "10.0.0.9" }, error: { code: "TOKEN_EXPIRED" } }),
  );
  out.push(
    await log.record({ ...toolCall(2, "Bob@MyCompany.example", "partner-org/shared-sdk"), principal: bob }),
  );
  return out;
}

beforeAll(async () => {
  work = await tempDir("cli");
  auditDir = join(work.dir, "audit");
  const log = await AuditLog.open({
    sink: new JsonlAuditSink({ dir: auditDir, prefix: "audit", maxFileBytes: 1500 }),
  });
  recorded.push(...(await recordSample(log)));
  await log.close();
  emulator = await startAwsEmulator({ dataDir: join(work.dir, "aws"), port: 0 });
  const cw = await AuditLog.open({
    sink: new CloudWatchAuditSink({
      logGroup: "/repogate/cli",
      logStream: "replica-a",
      endpoint: emulator.url,
      credentials: { accessKeyId: "emulator-test-key", secretAccessKey: "test" },
    }),
  });
  await recordSample(cw);
  await cw.close();
});

afterAll(async () => {
  await emulator?.close();
  await work?.cleanup();
});

describe("repogate audit (spawned)", () => {
  it("verify: exit 0 on an intact rotated trail, exit 1 naming the file and line of an edited event", async () => {
    const files = await listJsonlFiles({ dir: auditDir, prefix: "audit" });
    expect(files.length).toBeGreaterThan(1);
    const ok = await repogate(["verify", "--dir", auditDir]);
    expect(ok.code).toBe(0);
    const lastHash = (recorded.length && (await lastStoredHash(files.at(-1)?.path as string))) as string;
    expect(ok.stdout).toContain(`${recorded.length} events, chain intact, last hash ${lastHash}`);

    const target = files[1]?.path as string;
    const original = await readFile(target, "utf8");
    const lines = original.split("\n");
    lines[0] = (lines[0] as string).replace(/"type":"[a-z.]+"/, '"type":"admin.edit"');
    await writeFile(target, lines.join("\n"));
    try {
      const broken = await repogate(["verify", "--dir", auditDir]);
      expect(broken.code).toBe(1);
      expect(broken.stdout).toContain(`BROKEN: ${target}:1:`);
      expect(broken.stdout).toMatch(/edited/);
    } finally {
      await writeFile(target, original);
    }
  });

  it("verify --anchor: passes while the anchored event is in the chain, fails (exit 1) when it is not", async () => {
    const files = await listJsonlFiles({ dir: auditDir, prefix: "audit" });
    const anchor = JSON.parse((await readFile(files[0]?.path as string, "utf8")).split("\n")[1] as string)
      .hash as string;
    expect((await repogate(["verify", "--dir", auditDir, "--anchor", anchor])).code).toBe(0);
    const missing = await repogate(["verify", "--dir", auditDir, "--anchor", "f".repeat(64)]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/BROKEN: .*no event has the anchored hash ffffffffffffffff/);
    const cloudwatch = await repogate(["verify", "--cloudwatch", "--log-group", "/x", "--anchor", anchor]);
    expect(cloudwatch.code).toBe(2);
    expect(cloudwatch.stderr).toMatch(/do not apply to --cloudwatch/);
  });

  it("query: --user matches email case-insensitively, --json prints one event per line", async () => {
    const result = await repogate(["query", "--dir", auditDir, "--user", "bob@mycompany.example", "--json"]);
    expect(result.code).toBe(0);
    const events = result.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as AuditEvent);
    expect(events.map((e) => e.type)).toEqual(["access.deny", "tool.call"]);
    expect(events.every((e) => e.principal?.sub === "sub-bob")).toBe(true);

    const table = await repogate(["query", "--dir", auditDir, "--decision", "deny", "--since", "1h"]);
    expect(table.code).toBe(0);
    const rows = table.stdout.trim().split("\n");
    expect(rows[0]).toMatch(/^TIME\s+TYPE\s+USER\s+REPOSITORY/);
    expect(rows.slice(1).map((r) => r.split(/\s+/)[1])).toEqual(["access.deny"]);
    expect(rows[1]).toContain("mycompany/secrets-vault");

    const bad = await repogate(["query", "--dir", auditDir, "--since", "yesterday-ish"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/is not a time/);
  });

  it("export: CSV to a file and JSONL to stdout that verifies as a trail of its own", async () => {
    const out = join(work.dir, "export.csv");
    const csv = await repogate([
      "export",
      "--dir",
      auditDir,
      "--format",
      "csv",
      "--out",
      out,
      "--repo",
      "mycompany/web",
    ]);
    expect(csv.code).toBe(0);
    const lines = (await readFile(out, "utf8")).trim().split("\n");
    expect(lines[0]?.startsWith("id,time,type,principal.sub")).toBe(true);
    expect(lines.slice(1).map((l) => l.split(",")[2])).toEqual(["token.grant", "tool.call"]);

    const jsonl = await repogate(["export", "--dir", auditDir, "--format", "jsonl"]);
    expect(jsonl.code).toBe(0);
    const exported = join(work.dir, "export.jsonl");
    await writeFile(exported, jsonl.stdout);
    const verified = await repogate(["verify", "--file", exported]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(`${recorded.length} events, chain intact`);
  });

  it("reads CloudWatch Logs through FilterLogEvents for query and verify", async () => {
    const common = ["--cloudwatch", "--log-group", "/repogate/cli", "--endpoint", emulator.url];
    const denied = await repogate(["query", ...common, "--type", "access.deny", "--json"]);
    expect(denied.stderr).not.toMatch(/error:/);
    expect(denied.code).toBe(0);
    const events = denied.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as AuditEvent);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "access.deny", principal: { sub: "sub-bob" } });
    expect(emulator.calls.count("logs", "FilterLogEvents")).toBeGreaterThan(0);

    const verified = await repogate(["verify", ...common]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/OK: cloudwatch:\/repogate\/cli\/replica-a: 6 events, chain intact/);

    const missing = await repogate(["verify", "--cloudwatch", "--endpoint", emulator.url]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--log-group/);
  });
});

async function lastStoredHash(path: string): Promise<string> {
  const lines = (await readFile(path, "utf8")).trim().split("\n");
  return (JSON.parse(lines.at(-1) as string) as AuditEvent).hash as string;
}
