import { GENESIS_HASH } from "./chain.ts";
import { AuditClosedError } from "./errors.ts";
import { type AuditEvent, parseStoredEvent } from "./event.ts";
import type { AuditSink } from "./sink.ts";

/** Where a sink's hash chain stands: the newest stored event's hash and id. */
export interface ChainHead {
  hash: string;
  id: string | undefined;
}

/**
 * What both hash-chained sinks share: appends run one at a time in call order (so the chain is never forked),
 * the store is opened once on first use (and again after a failed open), and `close` waits for writes in flight.
 * Subclasses say how to open the store, write one batch and release their resources.
 */
export abstract class ChainedAuditSink implements AuditSink {
  abstract readonly name: string;
  /** The chain the next batch continues; set by `openStore` and moved on by `writeBatch`. */
  protected chain: ChainHead = { hash: GENESIS_HASH, id: undefined };
  #opened: Promise<void> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  /** Opens the store and sets `chain` from its newest event; not called again once it has succeeded. */
  protected abstract openStore(): Promise<void>;
  /** Writes one non-empty batch chained from `chain` and moves `chain` past what it stored. */
  protected abstract writeBatch(events: readonly AuditEvent[]): Promise<void>;
  /** Releases files or clients once the last write has settled. */
  protected abstract release(): Promise<void>;

  /** The hash the next event will carry as `prevHash`. */
  async chainHead(): Promise<string> {
    await this.ensureOpen();
    return this.chain.hash;
  }

  async lastEventId(): Promise<string | undefined> {
    await this.ensureOpen();
    return this.chain.id;
  }

  append(events: readonly AuditEvent[]): Promise<void> {
    if (this.#closed) return Promise.reject(new AuditClosedError());
    const run = this.#queue.then(() => this.#write(events));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async flush(): Promise<void> {
    await this.#queue;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    await this.release();
  }

  /**
   * Makes the next write (or `lastEventId`) read the chain head from the store again: after a write whose
   * outcome is unknown (a timeout after the store may have taken it), the head kept in memory may be behind.
   */
  protected rereadHeadBeforeNextWrite(): void {
    this.#opened = undefined;
  }

  /** Opens the store once; a failed open is forgotten so the next call tries again. */
  protected ensureOpen(): Promise<void> {
    this.#opened ??= this.openStore().catch((error: unknown) => {
      this.#opened = undefined;
      throw error;
    });
    return this.#opened;
  }

  async #write(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.ensureOpen();
    await this.writeBatch(events);
  }
}

/** Reads the chain head from a sink's last stored line; undefined when it is not a chained audit event. */
export function parseChainHead(line: string): ChainHead | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    // An unparsable line is reported by the caller as a damaged store.
    return undefined;
  }
  const parsed = parseStoredEvent(value);
  if (!parsed.ok || !parsed.event.hash) return undefined;
  return { hash: parsed.event.hash, id: parsed.event.id };
}
