import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.ts";
import { openAuditLogFromConfig } from "../../src/audit/from-config.ts";
import { listJsonlFiles } from "../../src/audit/jsonl-files.ts";
import { JsonlAuditSink } from "../../src/audit/jsonl-sink.ts";
import { readJsonlEvents } from "../../src/audit/records.ts";
import { containsSecret } from "../../src/audit/redact.ts";
import { verifyJsonlTrail } from "../../src/audit/verify.ts";
import { allBytesUnder, tempDir, toolCall } from "./helpers.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function openLog(options: { maxBatch?: number } = {}) {
  const { dir, cleanup } = await tempDir("log");
  cleanups.push(cleanup);
  const sink = new JsonlAuditSink({ dir, prefix: "audit" });
  const log = await AuditLog.open({ sink, ...options });
  return { dir, sink, log };
}

async function storedEvents(dir: string) {
  const out = [];
  for await (const e of readJsonlEvents(await listJsonlFiles({ dir, prefix: "audit" }))) out.push(e);
  return out;
}

// A stateless installation token: ghs_<appId>_<JWT>, much longer than 40 characters.
const JWT =
  "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiIxMjM0NSIsImV4cCI6MTc2NDQ2MDgwMH0.c2lnbmF0dXJlLXBhcnQtb2YtdGhlLWp3dA";
const STATELESS_TOKEN = `ghs_123456_${JWT}`;
// Secret-shaped fixtures are assembled at run time so secret scanners do not flag the repository.
const CLASSIC_TOKEN = ["ghs", "16C7e42F292c6912E7710c838347Ae178B4a"].join("_");
const PAT = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz";
const API_KEY = "rg_svc0ci01_Q2hhbmdlTWVJbkFuU2VjcmV0U3RvcmVQbGVhc2VYWFhY";
const PEM_LABEL = ["RSA", "PRIVATE", "KEY"].join(" ");
const PEM = `-----BEGIN ${PEM_LABEL}-----\nMIIEowIBAAKCAQEA1234\n-----END ${PEM_LABEL}-----`;

describe("AuditLog", () => {
  it("group-commits 1,000 concurrent records: each stored once, in id order, with far fewer fsyncs", async () => {
    const { dir, sink, log } = await openLog({ maxBatch: 200 });
    const recorded = await Promise.all(Array.from({ length: 1000 }, (_, i) => log.record(toolCall(i))));
    await log.close();
    const stored = await storedEvents(dir);
    const ids = stored.map((e) => e.id);
    expect(ids).toEqual(recorded.map((e) => e.id));
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
    const stats = sink.stats();
    expect(stats.events).toBe(1000);
    expect(stats.fsyncs).toBe(stats.batches);
    expect(stats.fsyncs).toBeLessThanOrEqual(10);
    expect(stats.fsyncs).toBeGreaterThanOrEqual(5);
    expect(log.status()).toMatchObject({ recorded: 1000, batches: stats.batches });
    expect(await verifyJsonlTrail({ dir, prefix: "audit" })).toMatchObject({ ok: true, events: 1000 });
  });

  it("batches events that arrive while a write is in flight into the next write", async () => {
    const { sink, log } = await openLog();
    const first = log.record(toolCall(0));
    await new Promise((r) => setImmediate(r));
    // The first write is now in flight; these 50 must share one later write.
    const rest = Array.from({ length: 50 }, (_, i) => log.record(toolCall(i + 1)));
    await Promise.all([first, ...rest]);
    expect(sink.stats()).toMatchObject({ batches: 2, events: 51 });
    await log.close();
  });

  it("never writes a token, JWT, API key or private key: redacts, marks and counts", async () => {
    const { dir, log } = await openLog();
    const event = await log.record({
      type: "access.deny",
      principal: { sub: "alice", email: "alice@mycompany.example", groups: [], via: "oidc" },
      resource: { repo: "mycompany/web", path: `config/${CLASSIC_TOKEN}.txt` },
      decision: {
        allowed: false,
        rule: null,
        reason: `token ${STATELESS_TOKEN} and bearer ${JWT}`,
        code: "X",
      },
      error: { code: "E", message: `pat ${PAT} key ${API_KEY} pem ${PEM}` },
      details: { note: "x-access-token:ghu_abcdefghijklmnop" },
    });
    await log.record(toolCall(1));
    await log.close();
    expect(event.redacted).toBe(true);
    expect(event.decision?.reason).toContain("[REDACTED:github-token]");
    expect(log.status().redactedEvents).toBe(1);
    const bytes = await allBytesUnder(dir);
    for (const secret of [
      STATELESS_TOKEN,
      CLASSIC_TOKEN,
      JWT,
      PAT,
      API_KEY,
      "MIIEowIBAAKCAQEA1234",
      "ghs_",
      "eyJhbGci",
    ]) {
      expect(bytes).not.toContain(secret);
    }
    expect(containsSecret(bytes)).toBe(false);
    const stored = await storedEvents(dir);
    expect(stored[0]).toMatchObject({ redacted: true, type: "access.deny" });
    expect(stored[1]?.redacted).toBeUndefined();
    expect(await verifyJsonlTrail({ dir, prefix: "audit" })).toMatchObject({ ok: true, events: 2 });
  });

  it("refuses events that do not match the schema", async () => {
    const { dir, log } = await openLog();
    await expect(log.record({ type: "token.stolen" } as never)).rejects.toMatchObject({
      code: "AUDIT_EVENT_INVALID",
    });
    await expect(
      log.record({ type: "token.grant", token: { fingerprint: "not-hex-token-value" } }),
    ).rejects.toMatchObject({ code: "AUDIT_EVENT_INVALID" });
    await expect(log.record({ type: "tool.call", extra: 1 } as never)).rejects.toMatchObject({
      code: "AUDIT_EVENT_INVALID",
    });
    await expect(log.record({ type: "admin.key-rotate", outcome: "ok" })).resolves.toMatchObject({
      type: "admin.key-rotate",
    });
    await log.close();
    expect((await storedEvents(dir)).map((e) => e.type)).toEqual(["admin.key-rotate"]);
  });

  it("records a failed sign-in with an over-long User-Agent or IdP claims, shortened instead of refused", async () => {
    const { dir, log } = await openLog();
    // Someone probing with a 5,000-character header must not keep the attempt out of the trail.
    const userAgent = `probe/${"x".repeat(5000)}`;
    const event = await log.record({
      type: "auth.fail",
      request: { ip: "203.0.113.9", userAgent },
      outcome: "denied",
      error: { code: "TOKEN_INVALID" },
    });
    expect(event.request?.userAgent).toHaveLength(512);
    expect(event.request?.userAgent?.endsWith("…")).toBe(true);
    const groups = Array.from({ length: 300 }, (_, i) => `g${i}`);
    const principal = { sub: "s".repeat(600), groups, via: "oidc" as const };
    const denial = await log.record({
      type: "access.deny",
      principal,
      outcome: "denied",
      resource: { repo: "othercorp/secret" },
    });
    expect(denial.principal?.sub).toHaveLength(512);
    expect(denial.principal?.groups).toHaveLength(256);
    await log.close();
    expect((await storedEvents(dir)).map((e) => e.type)).toEqual(["auth.fail", "access.deny"]);
  });

  it("records a grant with its repository as the resource, and the principal and request it is given", async () => {
    const { dir, log } = await openLog();
    await log.recordGrant(
      {
        fingerprint: "0123456789abcdef",
        installationId: 42,
        repositories: ["mycompany/web"],
        permissions: { contents: "read", metadata: "read" },
        expiresAt: "2026-11-30T02:00:00Z",
        reused: false,
      },
      {
        principal: { sub: "u1", email: "bob@mycompany.example", groups: ["eng"], via: "oidc" },
        request: { id: "req-9", tool: "get_file_contents", ip: "10.0.0.1" },
      },
    );
    await log.close();
    const [grant] = await storedEvents(dir);
    expect(grant).toMatchObject({
      type: "token.grant",
      principal: { email: "bob@mycompany.example" },
      request: { id: "req-9", tool: "get_file_contents" },
      resource: { repo: "mycompany/web" },
      token: { fingerprint: "0123456789abcdef", installationId: 42, repositories: ["mycompany/web"] },
      details: { reused: false },
    });
  });

  it("flushes what is pending on close and refuses records afterwards", async () => {
    const { dir, log } = await openLog();
    const pending = Array.from({ length: 20 }, (_, i) => log.record(toolCall(i)));
    await log.close();
    await Promise.all(pending);
    expect(await storedEvents(dir)).toHaveLength(20);
    await expect(log.record(toolCall(99))).rejects.toMatchObject({ code: "AUDIT_CLOSED" });
    expect(() => log.assertWritable()).toThrow(expect.objectContaining({ code: "AUDIT_CLOSED" }));
  });

  it("fails closed with AUDIT_UNAVAILABLE when the file cannot be written (deny)", async () => {
    const { dir, cleanup } = await tempDir("ro");
    cleanups.push(cleanup);
    const { writeFile } = await import("node:fs/promises");
    // The "directory" is a file: the sink can neither create it nor open a file in it.
    const blocked = join(dir, "blocked");
    await writeFile(blocked, "x");
    const log = await AuditLog.open({
      sink: new JsonlAuditSink({ dir: blocked, prefix: "audit" }),
      retryAfterMs: 60_000,
    });
    const error = await log.record(toolCall(1)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "AUDIT_UNAVAILABLE" });
    expect((error as Error).message).toMatch(/refused/);
    expect(log.healthy()).toBe(false);
    expect(() => log.assertWritable()).toThrow(expect.objectContaining({ code: "AUDIT_UNAVAILABLE" }));
    // While the sink is known down, records fail at once instead of waiting on the sink.
    await expect(log.record(toolCall(2))).rejects.toMatchObject({ code: "AUDIT_UNAVAILABLE" });
    expect(log.status().deliveryFailures).toBe(1);
    expect(await readFile(blocked, "utf8")).toBe("x");
    await log.close();
  });

  it("recovers by itself under deny: after retryAfterMs the next record tries the sink again", async () => {
    const { dir, cleanup } = await tempDir("recover");
    cleanups.push(cleanup);
    const { writeFile, rm } = await import("node:fs/promises");
    const target = join(dir, "trail");
    await writeFile(target, "not a directory");
    const log = await AuditLog.open({
      sink: new JsonlAuditSink({ dir: target, prefix: "audit" }),
      retryAfterMs: 100,
    });
    await expect(log.record(toolCall(1))).rejects.toMatchObject({ code: "AUDIT_UNAVAILABLE" });
    expect(log.healthy()).toBe(false);
    await rm(target);
    await new Promise((r) => setTimeout(r, 150));
    expect(log.healthy()).toBe(true);
    await expect(log.record(toolCall(2))).resolves.toMatchObject({ type: "tool.call" });
    expect(log.status()).toMatchObject({ sinkHealthy: true, deliveryFailures: 1, recorded: 1 });
    await log.close();
    expect(await storedEvents(target)).toHaveLength(1);
  });

  it("ensureWritable: after each retry window one shared probe must be durable before anyone may mint", async () => {
    const { dir, cleanup } = await tempDir("probe");
    cleanups.push(cleanup);
    const { writeFile, rm } = await import("node:fs/promises");
    const target = join(dir, "trail");
    await writeFile(target, "not a directory");
    const log = await AuditLog.open({
      sink: new JsonlAuditSink({ dir: target, prefix: "audit" }),
      retryAfterMs: 100,
    });
    // Not yet known down: nothing to prove.
    await expect(log.ensureWritable()).resolves.toBeUndefined();
    await expect(log.record(toolCall(1))).rejects.toMatchObject({ code: "AUDIT_UNAVAILABLE" });
    for (let window = 0; window < 3; window++) {
      // Inside the window: refused at once, no sink write.
      const failuresBefore = log.status().deliveryFailures;
      await expect(log.ensureWritable()).rejects.toMatchObject({ code: "AUDIT_UNAVAILABLE" });
      expect(log.status().deliveryFailures).toBe(failuresBefore);
      await new Promise((r) => setTimeout(r, 150));
      // After it: concurrent callers share one probe, which fails, so all are refused.
      const outcomes = await Promise.allSettled([
        log.ensureWritable(),
        log.ensureWritable(),
        log.ensureWritable(),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected", "rejected"]);
      expect(log.status().deliveryFailures).toBe(failuresBefore + 1);
    }
    await rm(target);
    await new Promise((r) => setTimeout(r, 150));
    await expect(log.ensureWritable()).resolves.toBeUndefined();
    // Proven with a durable event that says so; afterwards no further probe is written.
    await expect(log.ensureWritable()).resolves.toBeUndefined();
    await log.close();
    const stored = await storedEvents(target);
    expect(stored.map((e) => e.type)).toEqual(["audit.sink.recovered"]);
    expect(stored[0]?.details).toMatchObject({ deliveryFailures: 4 });
  });

  it.skipIf(!existsSync("/dev/full"))(
    "recovers by itself under spool: a spool write failure does not refuse records for good",
    async () => {
      const { dir, cleanup } = await tempDir("spool-full");
      cleanups.push(cleanup);
      const { writeFile, rm, mkdir, symlink } = await import("node:fs/promises");
      const target = join(dir, "trail");
      await writeFile(target, "not a directory");
      // Sink down and the spool's disk full: nothing can be recorded.
      const spoolDir = join(dir, "spool");
      await mkdir(spoolDir);
      await symlink("/dev/full", join(spoolDir, "spool.jsonl"));
      const log = await AuditLog.open({
        sink: new JsonlAuditSink({ dir: target, prefix: "audit" }),
        onFailure: "spool",
        spoolDir,
        retryAfterMs: 100,
      });
      await expect(log.record(toolCall(1))).rejects.toMatchObject({ code: "AUDIT_UNAVAILABLE" });
      expect(log.healthy()).toBe(false);
      // The sink comes back; the spool is still unwritable but no longer needed.
      await rm(target);
      await new Promise((r) => setTimeout(r, 150));
      expect(log.healthy()).toBe(true);
      await expect(log.record(toolCall(2))).resolves.toMatchObject({ type: "tool.call" });
      expect(log.healthy()).toBe(true);
      await log.close();
      expect(await storedEvents(target)).toHaveLength(1);
    },
  );

  it("refuses to open under deny while a spool holds events a previous run could not deliver", async () => {
    const { dir, cleanup } = await tempDir("leftover");
    cleanups.push(cleanup);
    const { writeFile, rm } = await import("node:fs/promises");
    const target = join(dir, "trail");
    const spoolDir = join(dir, "spool");
    await writeFile(target, "not a directory");
    const spooling = await AuditLog.open({
      sink: new JsonlAuditSink({ dir: target, prefix: "audit" }),
      onFailure: "spool",
      spoolDir,
      replayIntervalMs: 60_000,
    });
    await spooling.record(toolCall(1));
    await spooling.close();
    await rm(target);

    const deny = () =>
      AuditLog.open({
        sink: new JsonlAuditSink({ dir: target, prefix: "audit" }),
        onFailure: "deny",
        spoolDir,
      });
    await expect(deny()).rejects.toMatchObject({
      code: "AUDIT_CONFIG_INVALID",
      message: expect.stringMatching(/spool\.jsonl holds 1 event.*start once with audit\.onFailure spool/),
    });
    // Delivered by a run under spool, the spool is empty and deny opens.
    const replaying = await AuditLog.open({
      sink: new JsonlAuditSink({ dir: target, prefix: "audit" }),
      onFailure: "spool",
      spoolDir,
    });
    await replaying.close();
    expect(await storedEvents(target)).toHaveLength(1);
    const log = await deny();
    await log.close();
  });

  it("opens from the config's audit section: JSONL files beside audit.file, spool in its spool/ directory", async () => {
    const { dir, cleanup } = await tempDir("config");
    cleanups.push(cleanup);
    const file = join(dir, "trail", "audit.jsonl");
    const log = await openAuditLogFromConfig({
      audit: { sink: "jsonl", file, onFailure: "spool" },
      aws: { region: "us-east-1" },
    });
    await log.record(toolCall(1));
    await log.close();
    const files = await listJsonlFiles({ dir: join(dir, "trail"), prefix: "audit" });
    expect(files).toHaveLength(1);
    expect(await readFile(join(dir, "trail", "spool", "spool.jsonl"), "utf8")).toBe("");
    await expect(
      openAuditLogFromConfig({
        audit: { sink: "cloudwatch", file, onFailure: "deny" },
        aws: { region: "us-east-1" },
      }),
    ).rejects.toMatchObject({ code: "AUDIT_CONFIG_INVALID" });
  });
});
