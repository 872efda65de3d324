import { describe, expect, it } from "vitest";
import { type LogEventDraft, splitIntoPutBatches } from "../../src/aws/cloudwatch-batches.ts";

const T0 = Date.parse("2026-11-30T00:00:00Z");

function drafts(n: number, message = "x", step = 0): LogEventDraft[] {
  return Array.from({ length: n }, (_, i) => ({
    id: String(i).padStart(26, "0"),
    timestamp: T0 + i * step,
    message,
  }));
}

describe("splitIntoPutBatches", () => {
  it("caps a batch at 10,000 events", () => {
    expect(splitIntoPutBatches(drafts(25_000)).map((b) => b.length)).toEqual([10_000, 10_000, 5_000]);
  });

  it("caps a batch at 1,048,576 bytes counting UTF-8 bytes plus 26 per event", () => {
    // "é" is two UTF-8 bytes: 1,000 of them plus 26 = 2,026 bytes per event, 517 fit in 1,048,576.
    const batches = splitIntoPutBatches(drafts(1_200, "é".repeat(1_000)));
    expect(batches.map((b) => b.length)).toEqual([517, 517, 166]);
    for (const batch of batches) {
      expect(batch.reduce((n, e) => n + Buffer.byteLength(e.message) + 26, 0)).toBeLessThanOrEqual(1_048_576);
    }
  });

  it("starts a new batch past a 24-hour span and when the clock steps back", () => {
    const hour = 3_600_000;
    const spanning = drafts(30, "x", hour);
    expect(splitIntoPutBatches(spanning).map((b) => b.length)).toEqual([25, 5]);
    const stepBack: LogEventDraft[] = [
      { id: "a", timestamp: T0 + 10, message: "1" },
      { id: "b", timestamp: T0 + 20, message: "2" },
      { id: "c", timestamp: T0 + 5, message: "3" },
    ];
    const batches = splitIntoPutBatches(stepBack);
    expect(batches.map((b) => b.map((e) => e.id))).toEqual([["a", "b"], ["c"]]);
    // Timestamps are never rewritten.
    expect(batches[1]?.[0]?.timestamp).toBe(T0 + 5);
  });

  it("refuses one event larger than a whole batch", () => {
    expect(() => splitIntoPutBatches(drafts(1, "x".repeat(1_048_576)))).toThrow(RangeError);
  });
});
