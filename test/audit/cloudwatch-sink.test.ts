import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CloudWatchLogsClient, PutLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.ts";
import type { AuditEvent } from "../../src/audit/event.ts";
import { CloudWatchAuditSink } from "../../src/aws/cloudwatch-audit-sink.ts";
import {
  cloudWatchFilterPattern,
  queryCloudWatchEvents,
  verifyCloudWatchTrail,
} from "../../src/aws/cloudwatch-audit-source.ts";
import { type RunningAwsEmulator, startAwsEmulator } from "../../wrangler-free-local/aws/index.ts";
import { readStream, tempDir, toolCall } from "./helpers.ts";

const GROUP = "/repogate/audit";
const credentials = { accessKeyId: "emulator-test-key", secretAccessKey: "dummy-secret-for-tests" };
let emulator: RunningAwsEmulator;
let client: CloudWatchLogsClient;
let dataDir: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  dataDir = await tempDir("cw");
  emulator = await startAwsEmulator({ dataDir: dataDir.dir, port: 0 });
  client = new CloudWatchLogsClient({
    endpoint: emulator.url,
    region: "us-east-1",
    credentials,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client?.destroy();
  await emulator?.close();
  await dataDir?.cleanup();
});

function sink(stream: string, extra: Partial<ConstructorParameters<typeof CloudWatchAuditSink>[0]> = {}) {
  return new CloudWatchAuditSink({
    logGroup: GROUP,
    logStream: stream,
    endpoint: emulator.url,
    region: "us-east-1",
    credentials,
    baseDelayMs: 5,
    maxDelayMs: 40,
    maxAttempts: 4,
    ...extra,
  });
}

async function storedIds(stream: string): Promise<string[]> {
  return (await readStream(client, GROUP, stream)).map((e) => (JSON.parse(e.message) as AuditEvent).id);
}

describe("CloudWatch audit sink", () => {
  it("creates group and stream, chains events and keeps the chain across a restart", async () => {
    const first = await AuditLog.open({ sink: sink("restart") });
    const a = await Promise.all([0, 1, 2].map((i) => first.record(toolCall(i))));
    await first.close();
    const second = await AuditLog.open({ sink: sink("restart") });
    const b = await second.record(toolCall(3));
    await second.close();
    const stored = (await readStream(client, GROUP, "restart")).map((e) => JSON.parse(e.message));
    expect(stored.map((e) => e.id)).toEqual([...a.map((e) => e.id), b.id]);
    expect(stored[3].prevHash).toBe(stored[2].hash);
    const events = await readStream(client, GROUP, "restart");
    expect(events[0]?.timestamp).toBe(Date.parse(a[0]?.time as string));
    const verified = await verifyCloudWatchTrail({ client, logGroup: GROUP, logStreamNames: ["restart"] });
    expect(verified.get("restart")).toMatchObject({ ok: true, events: 4 });
  });

  it("delivers 500 concurrent records exactly once through throttling and 5xx faults", async () => {
    // Six faults in a row (each request consumes one): retries must outlast them, and stay bounded.
    const s = sink("faults", { maxAttempts: 8 });
    const log = await AuditLog.open({ sink: s, maxBatch: 50 });
    await log.record(toolCall(1000));
    emulator.faults.set({ service: "logs", kind: "throttle", operation: "PutLogEvents", count: 3 });
    emulator.faults.set({ service: "logs", kind: "internal", operation: "PutLogEvents", count: 2 });
    emulator.faults.set({ service: "logs", kind: "unavailable", operation: "PutLogEvents", count: 1 });
    const before = emulator.calls.count("logs", "PutLogEvents");
    const recorded = await Promise.all(Array.from({ length: 500 }, (_, i) => log.record(toolCall(i))));
    await log.close();
    expect(emulator.faults.list()).toHaveLength(0);
    expect(s.stats().retries).toBe(6);
    const ids = await storedIds("faults");
    expect(ids.slice(1)).toEqual(recorded.map((e) => e.id));
    expect(new Set(ids).size).toBe(501);
    // Group commit: far fewer PutLogEvents calls than events, even counting the failed ones.
    expect(emulator.calls.count("logs", "PutLogEvents") - before).toBeLessThan(40);
    const verified = await verifyCloudWatchTrail({ client, logGroup: GROUP, logStreamNames: ["faults"] });
    expect(verified.get("faults")).toMatchObject({ ok: true, events: 501, duplicates: 0 });
  });

  it("with Logs down and deny: records reject with AUDIT_UNAVAILABLE and assertWritable throws", async () => {
    const log = await AuditLog.open({ sink: sink("down-deny", { maxAttempts: 2 }), onFailure: "deny" });
    await log.record(toolCall(0));
    const fault = emulator.faults.set({ service: "logs", kind: "unavailable" });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => log.record(toolCall(i + 1))),
      );
      expect(results.every((r) => r.status === "rejected")).toBe(true);
      const reason = (results[0] as PromiseRejectedResult).reason as Error & { code: string };
      expect(reason.code).toBe("AUDIT_UNAVAILABLE");
      expect(reason.message).toMatch(/CloudWatch Logs reachability/);
      expect(log.healthy()).toBe(false);
      expect(() => log.assertWritable()).toThrow(expect.objectContaining({ code: "AUDIT_UNAVAILABLE" }));
    } finally {
      emulator.faults.clear({ id: fault.id });
    }
    await log.close();
    expect(await storedIds("down-deny")).toHaveLength(1);
  });

  it("turns a hung CloudWatch into AUDIT_UNAVAILABLE within the call timeout instead of hanging", async () => {
    const log = await AuditLog.open({ sink: sink("hung", { maxAttempts: 2, callTimeoutMs: 150 }) });
    await log.record(toolCall(0));
    const fault = emulator.faults.set({
      service: "logs",
      kind: "latency",
      latencyMs: 2_000,
      operation: "PutLogEvents",
    });
    try {
      // Ordering, not a stopwatch: both attempts give up before the first hung PutLogEvents would have answered.
      const cloudWatchAnswers = new Promise((resolve) =>
        setTimeout(() => resolve("CloudWatch answered"), 2_000),
      );
      const outcome = await Promise.race([
        log.record(toolCall(1)).catch((e: unknown) => e),
        cloudWatchAnswers,
      ]);
      expect(outcome).toMatchObject({ code: "AUDIT_UNAVAILABLE" });
    } finally {
      emulator.faults.clear({ id: fault.id });
    }
    await log.close();
  });

  it("a write whose answer was lost (CloudWatch stored it) neither forks the chain nor is replayed twice", async () => {
    // CloudWatch stores the batch, then the caller sees a timeout: the outcome is unknown to the sink.
    let loseAnswers = 0;
    const losing = {
      async send(command: unknown, options?: unknown) {
        const output = await (client.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
        if (command instanceof PutLogEventsCommand && loseAnswers > 0) {
          loseAnswers -= 1;
          throw Object.assign(new Error("the answer never arrived"), { name: "TimeoutError" });
        }
        return output;
      },
    } as unknown as CloudWatchLogsClient;
    const { dir, cleanup } = await tempDir("lost-answer");
    try {
      const deny = await AuditLog.open({
        sink: sink("lost-deny", { client: losing, maxAttempts: 1 }),
        onFailure: "deny",
        retryAfterMs: 0,
      });
      loseAnswers = 1;
      await expect(deny.record(toolCall(0))).rejects.toMatchObject({ code: "AUDIT_UNAVAILABLE" });
      await deny.record(toolCall(1));
      await deny.close();
      const denyVerified = await verifyCloudWatchTrail({
        client,
        logGroup: GROUP,
        logStreamNames: ["lost-deny"],
      });
      expect(denyVerified.get("lost-deny")?.problem).toBeUndefined();
      expect(denyVerified.get("lost-deny")).toMatchObject({ ok: true, events: 2 });

      const spool = await AuditLog.open({
        sink: sink("lost-spool", { client: losing, maxAttempts: 1 }),
        onFailure: "spool",
        spoolDir: join(dir, "spool"),
        replayIntervalMs: 60_000,
      });
      loseAnswers = 1;
      const a = await spool.record(toolCall(0));
      expect(spool.status().spooled).toBe(1);
      await spool.replayNow();
      const b = await spool.record(toolCall(1));
      await spool.close();
      expect(await storedIds("lost-spool")).toEqual([a.id, b.id]);
      const spoolVerified = await verifyCloudWatchTrail({
        client,
        logGroup: GROUP,
        logStreamNames: ["lost-spool"],
      });
      expect(spoolVerified.get("lost-spool")).toMatchObject({ ok: true, events: 2, duplicates: 0 });
    } finally {
      await cleanup();
    }
  });

  it("with Logs down and spool: records resolve into the spool and replay in order, once, after recovery", async () => {
    const { dir, cleanup } = await tempDir("spool");
    try {
      const s = sink("down-spool", { maxAttempts: 2 });
      const log = await AuditLog.open({
        sink: s,
        onFailure: "spool",
        spoolDir: join(dir, "spool"),
        replayIntervalMs: 60_000,
      });
      const head = await log.record(toolCall(0));
      const fault = emulator.faults.set({ service: "logs", kind: "unavailable" });
      const during = await Promise.all(Array.from({ length: 100 }, (_, i) => log.record(toolCall(i + 1))));
      expect(log.healthy()).toBe(true);
      expect(() => log.assertWritable()).not.toThrow();
      expect(log.status()).toMatchObject({ spooled: 100, sinkHealthy: false, healthy: true });
      const spoolText = await readFile(join(dir, "spool", "spool.jsonl"), "utf8");
      expect(
        spoolText
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l).id),
      ).toEqual(during.map((e) => e.id));
      await log.replayNow();
      expect(log.status().spooled).toBe(100);

      emulator.faults.clear({ id: fault.id });
      // Recorded after recovery but before replay: must queue behind the spooled events.
      const after = await Promise.all(Array.from({ length: 10 }, (_, i) => log.record(toolCall(200 + i))));
      expect(log.status().spooled).toBe(110);
      await log.replayNow();
      expect(log.status()).toMatchObject({ spooled: 0, replayed: 110, sinkHealthy: true });
      const next = await log.record(toolCall(300));
      await log.close();

      const ids = await storedIds("down-spool");
      expect(ids).toEqual([head, ...during, ...after, next].map((e) => e.id));
      const verified = await verifyCloudWatchTrail({
        client,
        logGroup: GROUP,
        logStreamNames: ["down-spool"],
      });
      expect(verified.get("down-spool")).toMatchObject({ ok: true, events: 112 });
      expect(await readFile(join(dir, "spool", "spool.jsonl"), "utf8")).toBe("");
    } finally {
      await cleanup();
    }
  });

  it("replays in the background once CloudWatch recovers, without anyone calling replayNow", async () => {
    const { dir, cleanup } = await tempDir("spool-bg");
    try {
      const fault = emulator.faults.set({ service: "logs", kind: "throttle" });
      const log = await AuditLog.open({
        sink: sink("spool-bg", { maxAttempts: 1 }),
        onFailure: "spool",
        spoolDir: join(dir, "spool"),
        replayIntervalMs: 50,
      });
      const recorded = await Promise.all(Array.from({ length: 25 }, (_, i) => log.record(toolCall(i))));
      expect(log.status().spooled).toBe(25);
      emulator.faults.clear({ id: fault.id });
      const deadline = Date.now() + 5_000;
      while (log.status().spooled > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(log.status()).toMatchObject({ spooled: 0, replayed: 25, sinkHealthy: true });
      await log.close();
      expect(await storedIds("spool-bg")).toEqual(recorded.map((e) => e.id));
    } finally {
      await cleanup();
    }
  });

  it("replays a spool left by a previous run without sending what CloudWatch already holds", async () => {
    const { dir, cleanup } = await tempDir("spool-restart");
    try {
      const spoolDir = join(dir, "spool");
      const fault = emulator.faults.set({ service: "logs", kind: "internal" });
      const first = await AuditLog.open({
        sink: sink("spool-restart", { maxAttempts: 1 }),
        onFailure: "spool",
        spoolDir,
      });
      const spooled = await Promise.all(Array.from({ length: 30 }, (_, i) => first.record(toolCall(i))));
      emulator.faults.clear({ id: fault.id });
      // Simulate a crash after CloudWatch took the first 10 but before the cursor moved: send them directly.
      const direct = sink("spool-restart");
      await direct.append(spooled.slice(0, 10));
      await direct.close();
      await first.close().catch(() => undefined);

      const second = await AuditLog.open({
        sink: sink("spool-restart"),
        onFailure: "spool",
        spoolDir,
        replayIntervalMs: 60_000,
      });
      await second.replayNow();
      await second.close();
      const ids = await storedIds("spool-restart");
      expect(ids).toEqual(spooled.map((e) => e.id));
    } finally {
      await cleanup();
    }
  });

  it("treats rejectedLogEventsInfo as a failure: the event is not acknowledged, it is counted and kept aside", async () => {
    const { dir, cleanup } = await tempDir("rejected");
    try {
      const old = new Date(Date.now() - 15 * 24 * 3_600_000);
      const rejectedFile = join(dir, "rejected.jsonl");
      const failures: unknown[] = [];
      const log = await AuditLog.open({
        sink: sink("rejected"),
        now: () => old,
        rejectedFile,
        onDeliveryFailure: (f) => failures.push(f.error),
      });
      const error = await log.record(toolCall(1)).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "AUDIT_EVENT_REJECTED" });
      expect((error as Error).message).toMatch(/tooOld/);
      expect(log.status().rejectedEvents).toBe(1);
      expect(failures).toHaveLength(1);
      await log.close();
      expect(await storedIds("rejected")).toEqual([]);
      const kept = JSON.parse((await readFile(rejectedFile, "utf8")).trim());
      expect(kept).toMatchObject({ rejectedReason: "tooOld", event: { type: "tool.call" } });
    } finally {
      await cleanup();
    }
  });

  it("replays a spool: events CloudWatch refuses as too old leave the spool for the rejected file", async () => {
    const { dir, cleanup } = await tempDir("spool-old");
    try {
      let now = new Date(Date.now() - 15 * 24 * 3_600_000);
      const rejectedFile = join(dir, "rejected.jsonl");
      const fault = emulator.faults.set({ service: "logs", kind: "internal" });
      const log = await AuditLog.open({
        sink: sink("spool-old", { maxAttempts: 1 }),
        onFailure: "spool",
        spoolDir: join(dir, "spool"),
        rejectedFile,
        replayIntervalMs: 60_000,
        now: () => now,
      });
      const old = await Promise.all([1, 2].map((i) => log.record(toolCall(i))));
      now = new Date();
      const fresh = await log.record(toolCall(3));
      emulator.faults.clear({ id: fault.id });
      await log.replayNow();
      expect(log.status()).toMatchObject({ spooled: 0, rejectedEvents: 2, replayed: 1 });
      await log.close();
      expect(await storedIds("spool-old")).toEqual([fresh.id]);
      const kept = (await readFile(rejectedFile, "utf8"))
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(kept.map((k) => [k.rejectedReason, k.event.id])).toEqual(old.map((e) => ["tooOld", e.id]));
      // The gap stays visible: the stored event links to a rejected one.
      const verified = await verifyCloudWatchTrail({
        client,
        logGroup: GROUP,
        logStreamNames: ["spool-old"],
      });
      expect(verified.get("spool-old")?.problem?.kind).toBe("not-genesis");
    } finally {
      await cleanup();
    }
  });

  it("queries through FilterLogEvents with a JSON filter pattern built from the query", async () => {
    const log = await AuditLog.open({ sink: sink("query") });
    const alice = { sub: "sub-a", email: "alice@mycompany.example", groups: [], via: "oidc" as const };
    const grant = await log.record({
      type: "token.grant",
      principal: alice,
      resource: { repo: "mycompany/web" },
      token: { fingerprint: "aaaaaaaaaaaaaaaa", repositories: ["mycompany/web"] },
    });
    const revoke = await log.record({ type: "token.revoke", token: { fingerprint: "aaaaaaaaaaaaaaaa" } });
    const deny = await log.record({
      type: "access.deny",
      principal: alice,
      resource: { repo: "mycompany/web" },
      decision: { allowed: false, reason: "ref not allowed", code: "REF_NOT_ALLOWED" },
      outcome: "denied",
    });
    await log.record(toolCall(1, "bob@mycompany.example", "mycompany/web"));
    await log.close();
    const source = { client, logGroup: GROUP, logStreamNames: ["query"] };
    const ids = async (query: Parameters<typeof queryCloudWatchEvents>[1]) => {
      const out: string[] = [];
      for await (const e of queryCloudWatchEvents(source, query)) out.push(e.id);
      return out;
    };
    const before = emulator.calls.count("logs", "FilterLogEvents");
    expect(await ids({ types: ["token.*"] })).toEqual([grant.id, revoke.id]);
    expect(await ids({ user: "ALICE@mycompany.example" })).toEqual([grant.id, deny.id]);
    expect(await ids({ repo: "MyCompany/Web", decision: "deny" })).toEqual([deny.id]);
    expect(await ids({ repo: "mycompany/web", decision: "allow" })).toEqual([grant.id]);
    expect(emulator.calls.count("logs", "FilterLogEvents") - before).toBe(4);
    expect(cloudWatchFilterPattern({ types: ["access.deny"], decision: "deny" })).toBe(
      '{ ($.type = "access.deny") && ($.decision.allowed IS FALSE || $.outcome = "denied") }',
    );
  });

  it("packs PutLogEvents batches up to 1 MiB (UTF-8 + 26 per event) and never over", async () => {
    const s = sink("limits");
    const log = await AuditLog.open({ sink: s, maxBatch: 20_000 });
    const small = await Promise.all(
      Array.from({ length: 10_001 }, (_, i) =>
        log.record({ type: "tool.call", outcome: "ok", latencyMs: i }),
      ),
    );
    await log.close();
    const stored = await readStream(client, GROUP, "limits");
    expect(stored.map((e) => (JSON.parse(e.message) as AuditEvent).id)).toEqual(small.map((e) => e.id));
    // The emulator refuses any call over the limits, so every event stored proves each call was within them;
    // the call count proves batches were packed close to the limit rather than sent one group at a time.
    const smallBytes = stored.slice(0, 10_001).reduce((n, e) => n + Buffer.byteLength(e.message) + 26, 0);
    const minimumSmallCalls = Math.ceil(smallBytes / 1_048_576);
    expect(minimumSmallCalls).toBeGreaterThanOrEqual(2);
    expect(s.stats().putCalls).toBeGreaterThanOrEqual(minimumSmallCalls);
    expect(s.stats().putCalls).toBeLessThanOrEqual(minimumSmallCalls + 1);
  });
});
