/**
 * Remembers which `X-GitHub-Delivery` ids were processed, so a replayed (or redelivered) delivery is answered
 * without running twice. Memory is bounded: at most `maxEntries` ids, each kept for `ttlMs`; the oldest go first.
 */
export interface WebhookReplayGuardOptions {
  /** Default 10,000 ids (a few hundred kB). */
  maxEntries?: number;
  /** Default 24 hours: longer than GitHub keeps redelivering on its own. */
  ttlMs?: number;
  clock?: () => number;
}

/** Claim before processing, then `complete` or `release` (a failure lets GitHub's redelivery try again). */
export class WebhookReplayGuard {
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #clock: () => number;
  /** id → expiry; Map order is insertion order, so the first entry is the oldest. */
  readonly #done = new Map<string, number>();
  readonly #inFlight = new Set<string>();

  constructor(options: WebhookReplayGuardOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#ttlMs = options.ttlMs ?? 24 * 60 * 60_000;
    this.#clock = options.clock ?? Date.now;
  }

  /** True when this delivery may be processed now; false when it was processed or is being processed. */
  claim(id: string): boolean {
    const now = this.#clock();
    const expiry = this.#done.get(id);
    if (expiry !== undefined && expiry > now) return false;
    if (this.#inFlight.has(id)) return false;
    this.#inFlight.add(id);
    return true;
  }

  /** The delivery was processed: later copies are duplicates. */
  complete(id: string): void {
    this.#inFlight.delete(id);
    this.#done.delete(id);
    this.#done.set(id, this.#clock() + this.#ttlMs);
    this.#evict();
  }

  /** Processing failed: a redelivery may try again. */
  release(id: string): void {
    this.#inFlight.delete(id);
  }

  /** How many ids are remembered (bounded by maxEntries). */
  get size(): number {
    return this.#done.size;
  }

  #evict(): void {
    const now = this.#clock();
    for (const [id, expiry] of this.#done) {
      if (this.#done.size <= this.#maxEntries && expiry > now) break;
      this.#done.delete(id);
    }
  }
}
