import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.ts";
import { canonicalJson, computeEventHash, GENESIS_HASH } from "../../src/audit/chain.ts";
import { listJsonlFiles } from "../../src/audit/jsonl-files.ts";
import { JsonlAuditSink } from "../../src/audit/jsonl-sink.ts";
import { verifyJsonlFiles, verifyJsonlTrail } from "../../src/audit/verify.ts";
import { tempDir, toolCall } from "./helpers.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function trail(
  count: number,
  sinkOptions: Partial<ConstructorParameters<typeof JsonlAuditSink>[0]> = {},
) {
  const { dir, cleanup } = await tempDir("chain");
  cleanups.push(cleanup);
  const sink = new JsonlAuditSink({ dir, prefix: "audit", ...sinkOptions });
  const log = await AuditLog.open({ sink });
  for (let i = 0; i < count; i++) await log.record(toolCall(i));
  await log.close();
  const files = await listJsonlFiles({ dir, prefix: "audit" });
  return { dir, files, sink };
}

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, "utf8")).split("\n").filter((l) => l.length > 0);
}

async function rewrite(path: string, edit: (lines: string[]) => string[]): Promise<void> {
  await writeFile(path, `${edit(await lines(path)).join("\n")}\n`);
}

describe("hash-chained JSONL trail", () => {
  it("links every event to the one before from the genesis hash, as documented", async () => {
    const { dir, files } = await trail(5);
    expect(files).toHaveLength(1);
    const file = files[0]?.path as string;
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const events = (await lines(file)).map((l) => JSON.parse(l));
    expect(events[0].prevHash).toBe(GENESIS_HASH);
    for (let i = 0; i < events.length; i++) {
      const { hash, ...rest } = events[i];
      // The documented definition, recomputed independently of the sink.
      const { createHash } = await import("node:crypto");
      const expected = createHash("sha256")
        .update(canonicalJson(rest) + rest.prevHash)
        .digest("hex");
      expect(hash).toBe(expected);
      expect(computeEventHash(events[i])).toBe(hash);
      if (i > 0) expect(events[i].prevHash).toBe(events[i - 1].hash);
    }
    const result = await verifyJsonlTrail({ dir, prefix: "audit" });
    expect(result).toMatchObject({ ok: true, events: 5, lastHash: events[4].hash });
  });

  it("reports an edited event at its line", async () => {
    const { files } = await trail(6);
    const file = files[0]?.path as string;
    await rewrite(file, (ls) =>
      ls.map((l, i) => (i === 3 ? l.replace('"outcome":"ok"', '"outcome":"error"') : l)),
    );
    const result = await verifyJsonlFiles(files);
    expect(result.ok).toBe(false);
    expect(result.problem).toMatchObject({ kind: "hash-mismatch", source: file, line: 4 });
    expect(result.events).toBe(3);
  });

  it("reports a deleted line at the line that follows it", async () => {
    const { files } = await trail(6);
    const file = files[0]?.path as string;
    await rewrite(file, (ls) => ls.filter((_, i) => i !== 2));
    const result = await verifyJsonlFiles(files);
    expect(result.problem).toMatchObject({ kind: "broken-link", source: file, line: 3 });
  });

  it("reports a swapped pair at the first of the two lines", async () => {
    const { files } = await trail(6);
    const file = files[0]?.path as string;
    await rewrite(file, (ls) => {
      const copy = [...ls];
      [copy[3], copy[4]] = [copy[4] as string, copy[3] as string];
      return copy;
    });
    const result = await verifyJsonlFiles(files);
    expect(result.problem).toMatchObject({ kind: "broken-link", source: file, line: 4 });
  });

  it("reports a truncated file: a partial last line, and a missing head of the trail", async () => {
    const { files } = await trail(4);
    const file = files[0]?.path as string;
    const text = await readFile(file, "utf8");
    await writeFile(file, text.slice(0, text.length - 40));
    const torn = await verifyJsonlFiles(files);
    expect(torn.problem).toMatchObject({ kind: "unreadable", source: file, line: 4 });

    await rewrite(file, (ls) => ls.slice(1, 3));
    const headless = await verifyJsonlFiles(files, { requireGenesis: true });
    expect(headless.problem).toMatchObject({ kind: "not-genesis", line: 1 });
  });

  it("detects a tail cut at a line boundary only against an anchor kept elsewhere", async () => {
    const { files } = await trail(5);
    const file = files[0]?.path as string;
    const anchor = JSON.parse((await lines(file)).at(-1) as string).hash as string;
    await rewrite(file, (ls) => ls.slice(0, 3));
    expect((await verifyJsonlFiles(files)).ok).toBe(true);
    const anchored = await verifyJsonlFiles(files, { expectLastHash: anchor });
    expect(anchored.problem).toMatchObject({ kind: "head-mismatch", line: 3 });
  });

  it("detects a cut or a rewrite with recomputed hashes before an anchor, while the trail may grow after it", async () => {
    const { dir, files } = await trail(5);
    const file = files[0]?.path as string;
    const anchor = JSON.parse((await lines(file))[2] as string).hash as string;
    // The trail grew after the anchor was noted: still fine.
    expect(await verifyJsonlFiles(files, { anchors: [anchor] })).toMatchObject({ ok: true, events: 5 });

    // A forger edits the second event and recomputes every later hash: the chain alone cannot tell.
    const original = await lines(file);
    let prevHash = GENESIS_HASH;
    const forged = original.map((line, i) => {
      const { hash: _h, ...event } = JSON.parse(line);
      if (i === 1) event.outcome = "denied";
      const linked = { ...event, prevHash };
      prevHash = computeEventHash(linked);
      return JSON.stringify({ ...linked, hash: prevHash });
    });
    await rewrite(file, () => forged);
    expect((await verifyJsonlTrail({ dir, prefix: "audit" })).ok).toBe(true);
    const rewritten = await verifyJsonlFiles(files, { anchors: [anchor] });
    expect(rewritten.problem).toMatchObject({ kind: "anchor-missing" });

    // A cut before the anchor.
    await rewrite(file, () => original.slice(0, 2));
    expect((await verifyJsonlFiles(files, { anchors: [anchor] })).problem).toMatchObject({
      kind: "anchor-missing",
    });
  });

  it("rotates by size and continues the chain into the next file", async () => {
    const { dir, files } = await trail(30, { maxFileBytes: 2000 });
    expect(files.length).toBeGreaterThan(3);
    for (let i = 1; i < files.length; i++) {
      const last = JSON.parse((await lines(files[i - 1]?.path as string)).at(-1) as string);
      const first = JSON.parse((await lines(files[i]?.path as string))[0] as string);
      expect(first.prevHash).toBe(last.hash);
    }
    expect(await verifyJsonlTrail({ dir, prefix: "audit" })).toMatchObject({ ok: true, events: 30 });

    // A whole file removed from the middle breaks the first line of the file after it.
    const { rm } = await import("node:fs/promises");
    await rm(files[1]?.path as string);
    const broken = await verifyJsonlTrail({ dir, prefix: "audit" });
    expect(broken.problem).toMatchObject({ kind: "broken-link", source: files[2]?.path, line: 1 });
  });

  it("rotates when the UTC day changes", async () => {
    let now = new Date("2026-11-30T23:59:59.000Z");
    const { dir, cleanup } = await tempDir("day");
    cleanups.push(cleanup);
    const log = await AuditLog.open({
      sink: new JsonlAuditSink({ dir, prefix: "audit", now: () => now }),
      now: () => now,
    });
    await log.record(toolCall(1));
    now = new Date("2026-12-01T00:00:01.000Z");
    await log.record(toolCall(2));
    await log.close();
    const files = await listJsonlFiles({ dir, prefix: "audit" });
    expect(files.map((f) => f.name)).toEqual([
      "audit-2026-11-30-000001.jsonl",
      "audit-2026-12-01-000002.jsonl",
    ]);
    expect(await verifyJsonlTrail({ dir, prefix: "audit" })).toMatchObject({ ok: true, events: 2 });
  });

  it("continues the chain after a restart, cutting a torn line left by a crash", async () => {
    const { dir, cleanup } = await tempDir("restart");
    cleanups.push(cleanup);
    const first = await AuditLog.open({ sink: new JsonlAuditSink({ dir, prefix: "audit" }) });
    for (let i = 0; i < 3; i++) await first.record(toolCall(i));
    await first.close();
    const [file] = await listJsonlFiles({ dir, prefix: "audit" });
    await writeFile(file?.path as string, '{"id":"01JTORN', { flag: "a" });

    const warnings: string[] = [];
    const sink = new JsonlAuditSink({ dir, prefix: "audit", onWarning: (m) => warnings.push(m) });
    const second = await AuditLog.open({ sink });
    await second.record(toolCall(3));
    await second.close();
    expect(warnings[0]).toMatch(/torn last line/);
    const result = await verifyJsonlTrail({ dir, prefix: "audit" });
    expect(result).toMatchObject({ ok: true, events: 4 });
    expect(await lines(file?.path as string)).toHaveLength(4);
  });

  it("continues the chain after a restart whose newest file is empty (a crash right after rotation)", async () => {
    const { dir, cleanup } = await tempDir("empty-newest");
    cleanups.push(cleanup);
    const first = await AuditLog.open({ sink: new JsonlAuditSink({ dir, prefix: "audit" }) });
    for (let i = 0; i < 3; i++) await first.record(toolCall(i));
    await first.close();
    // The rotation created (and fsync'd the directory entry of) the next file, then the first write to it was lost.
    await writeFile(join(dir, "audit-2026-11-30-000002.jsonl"), '{"id":"01JTORN');

    const second = await AuditLog.open({ sink: new JsonlAuditSink({ dir, prefix: "audit" }) });
    await second.record(toolCall(3));
    await second.close();
    const result = await verifyJsonlTrail({ dir, prefix: "audit" });
    expect(result.problem).toBeUndefined();
    expect(result).toMatchObject({ ok: true, events: 4 });
  });

  it("keeps ids increasing across a restart when the clock stepped back, with truthful times", async () => {
    const { dir, cleanup } = await tempDir("clock");
    cleanups.push(cleanup);
    const later = new Date("2026-11-30T12:00:00.000Z");
    const earlier = new Date("2026-11-30T11:59:00.000Z");
    const first = await AuditLog.open({
      sink: new JsonlAuditSink({ dir, prefix: "audit", now: () => later }),
      now: () => later,
    });
    const a = await first.record(toolCall(1));
    await first.close();
    const second = await AuditLog.open({
      sink: new JsonlAuditSink({ dir, prefix: "audit", now: () => earlier }),
      now: () => earlier,
    });
    const b = await second.record(toolCall(2));
    await second.close();
    expect(b.id > a.id).toBe(true);
    expect(b.time).toBe(earlier.toISOString());
    expect(await verifyJsonlTrail({ dir, prefix: "audit" })).toMatchObject({ ok: true, events: 2 });
  });

  it("refuses to continue a chain whose last event is unreadable", async () => {
    const { dir, files } = await trail(2);
    await rewrite(files[0]?.path as string, (ls) => [...ls.slice(0, 1), "not json"]);
    const sink = new JsonlAuditSink({ dir, prefix: "audit" });
    await expect(sink.append([])).resolves.toBeUndefined();
    await expect(sink.chainHead()).rejects.toMatchObject({ code: "AUDIT_SOURCE_INVALID" });
  });

  it("creates its directory and files private to the owner", async () => {
    const { dir: base, cleanup } = await tempDir("mode");
    cleanups.push(cleanup);
    const dir = join(base, "nested", "audit");
    const log = await AuditLog.open({ sink: new JsonlAuditSink({ dir, prefix: "audit" }) });
    await log.record(toolCall(1));
    await log.close();
    const [file] = await listJsonlFiles({ dir, prefix: "audit" });
    expect((await stat(dir)).mode & 0o077).toBe(0);
    expect((await stat(file?.path as string)).mode & 0o777).toBe(0o600);
  });
});
