import { decodeTime, isValid } from "ulid";
import { describe, expect, it } from "vitest";
import { AuditIdSource, pooledRandom, ulidSource } from "../../src/audit/event-id.ts";

describe("event and request ids from a pooled CSPRNG", () => {
  it("mints valid, distinct, increasing event ids across many pool refills", () => {
    const source = new AuditIdSource();
    const now = Date.now();
    const ids = Array.from({ length: 2000 }, () => source.next(now));
    expect(ids.every((id) => isValid(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(decodeTime(ids[0] as string)).toBe(now);
  });

  it("request ids are valid and distinct, and their random part uses all 32 characters", () => {
    const next = ulidSource();
    const ids = Array.from({ length: 2000 }, () => next());
    expect(ids.every((id) => isValid(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const randomChars = new Set(ids.flatMap((id) => [...id.slice(10)]));
    expect(randomChars.size).toBe(32);
  });

  it("draws fractions in [0, 1) that cover the byte range (no stuck or repeating pool)", () => {
    const prng = pooledRandom();
    const values = Array.from({ length: 3 * 4096 }, () => prng());
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(new Set(values).size).toBe(256);
    // Two consecutive pools must differ: each refill draws fresh bytes.
    expect(values.slice(0, 4096)).not.toEqual(values.slice(4096, 8192));
  });
});
