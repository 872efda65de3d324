/** The loop-based `canonicalJson` against the map/sort/join form it replaced, on generated JSON values. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/audit/chain.ts";

/** canonicalJson as it was written before (the reference). */
function referenceCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? "null" : referenceCanonicalJson(v))).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${referenceCanonicalJson(v)}`).join(",")}}`;
}

describe("canonicalJson", () => {
  it("gives what the map/sort/join form gave, for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(referenceCanonicalJson(value));
      }),
      { numRuns: 500 },
    );
  });

  it("writes an undefined array item as null and drops an undefined member, as JSON.stringify does", () => {
    const value = [1, undefined, { b: 2, a: undefined }];
    expect(canonicalJson(value)).toBe('[1,null,{"b":2}]');
    expect(canonicalJson(value)).toBe(referenceCanonicalJson(value));
  });
});
