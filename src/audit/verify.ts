import { computeEventHash, GENESIS_HASH } from "./chain.ts";
import type { AuditEvent } from "./event.ts";
import { type JsonlLocation, listJsonlFiles } from "./jsonl-files.ts";
import { parseRecord, readJsonlRecords, type StoredRecord } from "./records.ts";

/** What is wrong at the first bad position. */
export type ChainProblemKind =
  | "unreadable"
  | "missing-chain-fields"
  | "hash-mismatch"
  | "broken-link"
  | "not-genesis"
  | "id-order"
  | "head-mismatch"
  | "anchor-missing"
  | "empty";

/** The first broken or missing link, with where it is. */
export interface ChainProblem {
  kind: ChainProblemKind;
  source: string;
  line: number;
  eventId?: string;
  message: string;
}

/** Outcome of a chain walk. */
export interface VerifyResult {
  ok: boolean;
  /** Events checked (up to the problem, if any). */
  events: number;
  lastHash: string;
  lastId: string | undefined;
  /** The `prevHash` the walk started from (64 zeros for a complete trail). */
  startHash: string;
  /** Exact duplicate deliveries skipped (CloudWatch sources only). */
  duplicates: number;
  problem?: ChainProblem;
}

/** How strict a walk is. */
export interface ChainWalkOptions {
  /** The first event must have the genesis `prevHash` (a complete trail). Default true. */
  requireGenesis?: boolean;
  /** Skip an event identical (id and hash) to the one before: a CloudWatch retry whose first response was lost. */
  allowDuplicateDeliveries?: boolean;
  /** The hash the last event must have (an anchor kept elsewhere); detects a tail cut at a line boundary. */
  expectLastHash?: string;
  /**
   * Hashes some event of the chain must have (anchors noted elsewhere while the trail kept growing). The chain
   * has no secret key, so only an anchor shows a cut, or a rewrite with every later hash recomputed, at or
   * before the anchored event.
   */
  anchors?: readonly string[];
}

/** Walks records in order and stops at the first broken or missing link. */
export class ChainWalker {
  readonly #options: ChainWalkOptions;
  #prevHash: string | undefined;
  #prevId: string | undefined;
  #startHash: string | undefined;
  #events = 0;
  #duplicates = 0;
  #last: StoredRecord | undefined;
  #problem: ChainProblem | undefined;
  readonly #anchorsSeen = new Set<string>();

  constructor(options: ChainWalkOptions = {}) {
    this.#options = options;
  }

  /** Feeds the next record; returns false once a problem was found (stop feeding). */
  push(record: StoredRecord): boolean {
    if (this.#problem) return false;
    this.#last = record;
    const parsed = parseRecord(record);
    if (!parsed.ok) return this.#fail("unreadable", record, `unreadable event: ${parsed.problem}`);
    const event = parsed.event;
    if (!event.hash || !event.prevHash) {
      return this.#fail("missing-chain-fields", record, "event has no prevHash/hash", event.id);
    }
    if (
      this.#options.allowDuplicateDeliveries &&
      event.id === this.#prevId &&
      event.hash === this.#prevHash
    ) {
      this.#duplicates += 1;
      return true;
    }
    const recomputed = computeEventHash(event as AuditEvent & { prevHash: string });
    if (recomputed !== event.hash) {
      return this.#fail(
        "hash-mismatch",
        record,
        "event content does not match its hash (the event was edited)",
        event.id,
      );
    }
    if (this.#prevHash === undefined) {
      this.#startHash = event.prevHash;
      if ((this.#options.requireGenesis ?? true) && event.prevHash !== GENESIS_HASH) {
        return this.#fail(
          "not-genesis",
          record,
          "the first event does not start the chain (prevHash is not 64 zeros): earlier events or files are missing",
          event.id,
        );
      }
    } else if (event.prevHash !== this.#prevHash) {
      return this.#fail(
        "broken-link",
        record,
        `prevHash ${event.prevHash.slice(0, 16)}… does not match the previous event's hash ` +
          `${this.#prevHash.slice(0, 16)}…: an event before this one was deleted, inserted or moved`,
        event.id,
      );
    }
    if (this.#prevId !== undefined && event.id <= this.#prevId) {
      return this.#fail("id-order", record, `event id ${event.id} is not after ${this.#prevId}`, event.id);
    }
    this.#prevHash = event.hash;
    this.#prevId = event.id;
    this.#events += 1;
    if (this.#options.anchors?.includes(event.hash)) this.#anchorsSeen.add(event.hash);
    return true;
  }

  /** Ends the walk (applies the `expectLastHash` and `anchors` checks) and reports. */
  finish(): VerifyResult {
    const missing = this.#options.anchors?.find((anchor) => !this.#anchorsSeen.has(anchor));
    if (!this.#problem && missing !== undefined) {
      this.#fail(
        "anchor-missing",
        this.#last ?? { source: "(none)", line: 0, text: "" },
        `no event has the anchored hash ${missing.slice(0, 16)}…: the trail was cut, or rewritten with ` +
          "recomputed hashes, at or before the anchored event",
      );
    }
    const expected = this.#options.expectLastHash;
    if (!this.#problem && expected !== undefined && (this.#prevHash ?? GENESIS_HASH) !== expected) {
      const last = this.#last ?? { source: "(none)", line: 0, text: "" };
      this.#fail(
        "head-mismatch",
        last,
        `the last event's hash is ${(this.#prevHash ?? "none").slice(0, 16)}…, expected ${expected.slice(0, 16)}…: ` +
          "events after this position are missing",
      );
    }
    return {
      ok: this.#problem === undefined,
      events: this.#events,
      lastHash: this.#prevHash ?? GENESIS_HASH,
      lastId: this.#prevId,
      startHash: this.#startHash ?? GENESIS_HASH,
      duplicates: this.#duplicates,
      ...(this.#problem ? { problem: this.#problem } : {}),
    };
  }

  #fail(kind: ChainProblemKind, record: StoredRecord, message: string, eventId?: string): false {
    this.#problem = {
      kind,
      source: record.source,
      line: record.line,
      message,
      ...(eventId ? { eventId } : {}),
    };
    return false;
  }
}

/** Verifies a whole rotated trail: every file in order, starting from the genesis hash. */
export async function verifyJsonlTrail(
  location: JsonlLocation,
  options: Omit<ChainWalkOptions, "requireGenesis"> = {},
): Promise<VerifyResult> {
  const files = await listJsonlFiles(location);
  return verifyJsonlFiles(files, { ...options, requireGenesis: true });
}

/** Verifies the given files in the given order (a single file may start mid-chain unless requireGenesis). */
export async function verifyJsonlFiles(
  files: readonly { path: string }[],
  options: ChainWalkOptions = {},
): Promise<VerifyResult> {
  const walker = new ChainWalker(options);
  for await (const record of readJsonlRecords(files)) {
    if (!walker.push(record)) break;
  }
  return walker.finish();
}
