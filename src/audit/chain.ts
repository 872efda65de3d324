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
  return sha256Hex(canonicalJson(withoutHash) + event.prevHash);
}

/** Links one event to the chain head and returns it with `prevHash` and `hash`. */
export function chainEvent(event: AuditEvent, prevHash: string): ChainedAuditEvent {
  const { hash: _h, prevHash: _p, ...plain } = event;
  const linked = { ...plain, prevHash };
  return { ...linked, hash: computeEventHash(linked) };
}

/** An event linked into the chain, as a sink stores it. */
export interface ChainLink {
  hash: string;
  /** The chained event (with `prevHash` and `hash`) as one line of canonical JSON, without a newline. */
  line: string;
}

/**
 * `chainEvent` and the stored line in one pass: the event's members are serialized once (when the event is
 * built, see `eventJsonBytes`), and the hashed form and the stored line are both put together from those
 * strings, so they cannot disagree. The line is `canonicalJson(chainEvent(event, prevHash))`.
 */
export function linkEvent(event: AuditEvent, prevHash: string): ChainLink {
  const members = canonicalMembers(event);
  const linked = withMember(members, "prevHash", `"prevHash":${JSON.stringify(prevHash)}`);
  const hash = sha256Hex(`{${linked.map(([, json]) => json).join(",")}}${prevHash}`);
  const line = withMember(linked, "hash", `"hash":"${hash}"`);
  return { hash, line: `{${line.map(([, json]) => json).join(",")}}` };
}

/** UTF-8 bytes of the event's JSON (its canonical form; any member order has the same length). */
export function eventJsonBytes(event: AuditEvent): number {
  const members = canonicalMembers(event);
  let bytes = 2 + Math.max(0, members.length - 1);
  for (const [, json] of members) bytes += Buffer.byteLength(json, "utf8");
  return bytes;
}

/** `[key, '"key":canonical(value)']` for each defined top-level member but `hash` and `prevHash`, sorted. */
type Members = readonly (readonly [key: string, json: string])[];

// Per event object: serialized when the event is built (for its size check) and reused when it is linked.
// Keyed weakly, so an event that is dropped takes its strings with it.
const membersOf = new WeakMap<AuditEvent, Members>();

function canonicalMembers(event: AuditEvent): Members {
  let members = membersOf.get(event);
  if (!members) {
    const record = event as Record<string, unknown>;
    members = Object.keys(record)
      .filter((key) => key !== "hash" && key !== "prevHash" && record[key] !== undefined)
      .sort(byCodeUnit)
      .map((key) => [key, `${JSON.stringify(key)}:${canonicalJson(record[key])}`] as const);
    membersOf.set(event, members);
  }
  return members;
}

/** The members with one more, at its place in key order. */
function withMember(members: Members, key: string, json: string): Members {
  const at = members.findIndex(([other]) => byCodeUnit(other, key) > 0);
  const index = at === -1 ? members.length : at;
  return [...members.slice(0, index), [key, json], ...members.slice(index)];
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
