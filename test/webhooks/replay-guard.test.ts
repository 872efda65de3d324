/** The webhook replay guard: once-only processing with bounded memory. */
import { describe, expect, it } from "vitest";
import { WebhookReplayGuard } from "../../src/github/webhook-replay-guard.ts";

describe("WebhookReplayGuard", () => {
  it("lets a delivery id through once, and again only when processing failed", () => {
    const guard = new WebhookReplayGuard();
    expect(guard.claim("a")).toBe(true);
    expect(guard.claim("a")).toBe(false); // in flight
    guard.release("a");
    expect(guard.claim("a")).toBe(true); // the failed one may be redelivered
    guard.complete("a");
    expect(guard.claim("a")).toBe(false);
  });

  it("keeps at most maxEntries ids, forgetting the oldest", () => {
    const guard = new WebhookReplayGuard({ maxEntries: 3 });
    for (const id of ["1", "2", "3", "4", "5"]) {
      expect(guard.claim(id)).toBe(true);
      guard.complete(id);
      expect(guard.size).toBeLessThanOrEqual(3);
    }
    expect(guard.claim("5")).toBe(false);
    expect(guard.claim("3")).toBe(false);
    expect(guard.claim("1")).toBe(true);
  });

  it("forgets ids after the TTL", () => {
    let now = 1_000;
    const guard = new WebhookReplayGuard({ ttlMs: 100, clock: () => now });
    guard.claim("x");
    guard.complete("x");
    now += 99;
    expect(guard.claim("x")).toBe(false);
    now += 2;
    expect(guard.claim("x")).toBe(true);
  });
});
