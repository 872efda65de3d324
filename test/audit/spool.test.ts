import { mkdir } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { AuditEvent } from "../../src/audit/event.ts";
import { AuditSpool } from "../../src/audit/spool.ts";
import { tempDir } from "./helpers.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function event(id: string): AuditEvent {
  return { id, time: "2026-11-30T02:00:00.000Z", type: "tool.call", outcome: "ok" };
}

describe("audit spool", () => {
  it("keeps events pending when the cursor cannot be written, so replay is not cut short", async () => {
    const { dir, cleanup } = await tempDir("spool-ack");
    cleanups.push(cleanup);
    const spool = new AuditSpool({ dir });
    await spool.open();
    await spool.append([event("01KB0000000000000000000001"), event("01KB0000000000000000000002")]);
    expect(spool.pending).toBe(2);
    const [first] = await spool.peek(1);
    // A directory where the cursor file goes: the atomic rename onto it fails.
    await mkdir(spool.cursorPath);
    await expect(
      spool.acknowledge(first?.event.id as string, first?.endOffset as number, 1),
    ).rejects.toThrow();
    expect(spool.pending).toBe(2);
    expect((await spool.peek(10)).map((w) => w.event.id)).toEqual([
      "01KB0000000000000000000001",
      "01KB0000000000000000000002",
    ]);
    await spool.close();
  });
});
