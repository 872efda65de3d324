import { createHash } from "node:crypto";
import type { AuditEvent, ChainedAuditEvent } from "./event.ts";

/** The `prevHash` of the first event of a chain. */
export const GENESIS_HASH = "0".repeat(64);

/** UTF-16 code unit order, the order canonical JSON sorts keys in. */
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Canonical JSON: object keys sorted by UTF-16 code unit order, no whitespace, `undefined` members dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      out += `${i > 0 ? "," : ""}${item === undefined ? "null" : canonicalJson(item)}`;
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = "";
  for (const key of Object.keys(record).sort(byCodeUnit)) {
    const member = record[key];
    if (member !== undefined) out += `${out ? "," : ""}${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `{${out}}`;
}

/** `hash` = hex SHA-256 of UTF-8( canonicalJson(event without `hash`, with `prevHash`) + prevHash ). */
export function computeEventHash(event: AuditEvent & { prevHash: string }): string {
  const { hash: _ignored, ...withoutHash } = event;
  return createHash("sha256")
    .update(canonicalJson(withoutHash) + event.prevHash, "utf8")
    .digest("hex");
}

/** Links one event to the chain head and returns it with `prevHash` and `hash`. */
export function chainEvent(event: AuditEvent, prevHash: string): ChainedAuditEvent {
  const { hash: _h, prevHash: _p, ...plain } = event;
  const linked = { ...plain, prevHash };
  return { ...linked, hash: computeEventHash(linked) };
}
