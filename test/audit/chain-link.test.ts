/**
 * The sinks' one-pass linking (`linkEvent`: members serialized once, the hashed form and the stored line put
 * together from them) against the plain definition (`chainEvent` + `canonicalJson`), and the loop-based
 * `canonicalJson` against the map/sort/join form it replaced, on generated events and JSON values.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildAuditEvent } from "../../src/audit/build-event.ts";
import { canonicalJson, chainEvent, eventJsonBytes, GENESIS_HASH, linkEvent } from "../../src/audit/chain.ts";
import type { AuditEvent, AuditEventInput } from "../../src/audit/event.ts";

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

const text = fc.string({ maxLength: 40, unit: "binary" });
const shortText = fc.string({ maxLength: 20, unit: "grapheme" });
const eventInput: fc.Arbitrary<AuditEventInput> = fc.record(
  {
    type: fc.constantFrom("token.grant", "tool.call", "access.deny", "admin.key-rotate"),
    principal: fc.record(
      { sub: shortText, email: shortText, groups: fc.array(shortText, { maxLength: 4 }) },
      { requiredKeys: ["sub"] },
    ),
    request: fc.record(
      { id: shortText, ip: shortText, userAgent: text, tool: shortText },
      { requiredKeys: [] },
    ),
    resource: fc.record({ repo: shortText, ref: shortText, path: text }, { requiredKeys: [] }),
    operation: shortText,
    decision: fc.record(
      { allowed: fc.boolean(), rule: fc.option(shortText), reason: text },
      { requiredKeys: ["allowed"] },
    ),
    outcome: fc.constantFrom("ok", "denied", "error"),
    latencyMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
    details: fc.dictionary(
      fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,10}$/),
      fc.oneof(shortText, fc.integer(), fc.boolean(), fc.constant(null)),
      { maxKeys: 4 },
    ),
  },
  { requiredKeys: ["type"] },
) as fc.Arbitrary<AuditEventInput>;

const hash64 = fc.stringMatching(/^[0-9a-f]{64}$/);

describe("linkEvent", () => {
  it("stores canonicalJson(chainEvent(event, prevHash)) and its hash, for generated events", () => {
    let n = 0;
    fc.assert(
      fc.property(eventInput, hash64, (input, prevHash) => {
        const { event } = buildAuditEvent(input, {
          id: `01JGZ${String(n++).padStart(21, "0")}`,
          now: new Date("2026-12-07T00:00:00Z"),
          maxEventBytes: 1_000_000,
        });
        const chained = chainEvent(event, prevHash);
        const link = linkEvent(event, prevHash);
        expect(link.hash).toBe(chained.hash);
        expect(link.line).toBe(canonicalJson(chained));
        expect(eventJsonBytes(event)).toBe(Buffer.byteLength(JSON.stringify(event), "utf8"));
      }),
      { numRuns: 300 },
    );
  });

  it("takes the first event of a chain and an event that already carries a link", () => {
    const { event } = buildAuditEvent(
      { type: "tool.call", outcome: "ok" },
      { id: "01JGZ000000000000000000000", now: new Date(0), maxEventBytes: 10_000 },
    );
    const first = linkEvent(event, GENESIS_HASH);
    expect(first.line).toBe(canonicalJson(chainEvent(event, GENESIS_HASH)));
    // A stored event read back (it has prevHash and hash) links like the plain one.
    const stored = JSON.parse(first.line) as AuditEvent;
    const again = linkEvent(stored, "f".repeat(64));
    expect(again).toEqual({
      hash: chainEvent(stored, "f".repeat(64)).hash,
      line: canonicalJson(chainEvent(stored, "f".repeat(64))),
    });
  });

  it("built events are frozen, so the serialized members cannot go stale", () => {
    const { event } = buildAuditEvent(
      { type: "tool.call", principal: { sub: "alice" } },
      { id: "01JGZ000000000000000000001", now: new Date(0), maxEventBytes: 10_000 },
    );
    expect(Object.isFrozen(event)).toBe(true);
    expect(Object.isFrozen(event.principal)).toBe(true);
  });
});

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
