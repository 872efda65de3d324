/**
 * Optional short-lived sharing of a narrowed installation token between requests for the same
 * repositories and permissions. Each entry is reference-counted: it takes no new users once its
 * TTL has passed (or it was discarded), and is handed to `retire` when the last user releases it.
 */

export interface TokenLease<T> {
  value: T;
  /** True when the token was minted for an earlier request and is being shared. */
  reused: boolean;
  /** The caller is done with the token. */
  release(): void;
  /** The token must not be handed to anyone else (e.g. its grant could not be recorded); also releases. */
  discard(): void;
}

interface Entry<T> {
  value: Promise<T>;
  /** Set once the mint has succeeded. */
  settled: { value: T } | undefined;
  refs: number;
  open: boolean;
  retired: boolean;
  timer: NodeJS.Timeout | undefined;
}

export class TokenReusePool<T> {
  readonly #ttlMs: number;
  readonly #retire: (value: T) => void;
  readonly #entries = new Map<string, Entry<T>>();

  /** `retire` is called exactly once per minted value, when no user holds it and it is closed. */
  constructor(ttlMs: number, retire: (value: T) => void) {
    this.#ttlMs = ttlMs;
    this.#retire = retire;
  }

  /** Shares an open entry for `key` or creates one with `mint`. */
  async acquire(key: string, mint: () => Promise<T>): Promise<TokenLease<T>> {
    const existing = this.#entries.get(key);
    if (existing?.open) {
      existing.refs++;
      try {
        return this.#lease(existing, await existing.value, true);
      } catch (error) {
        existing.refs--;
        throw error;
      }
    }
    const entry: Entry<T> = {
      value: mint(),
      settled: undefined,
      refs: 1,
      open: true,
      retired: false,
      timer: undefined,
    };
    this.#entries.set(key, entry);
    let value: T;
    try {
      value = await entry.value;
    } catch (error) {
      // Nothing was minted, so there is nothing to retire; later callers mint afresh.
      entry.open = false;
      entry.retired = true;
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
      throw error;
    }
    entry.settled = { value };
    entry.timer = setTimeout(() => this.#close(key, entry), this.#ttlMs);
    // A pending reuse window must not keep the process alive; drain() retires idle tokens at shutdown.
    entry.timer.unref();
    return this.#lease(entry, value, false);
  }

  /** Closes every entry: idle ones are retired now, busy ones when their last user releases. */
  closeAll(): void {
    for (const [key, entry] of this.#entries) this.#close(key, entry);
  }

  /** Number of entries still open to new users. */
  get size(): number {
    return this.#entries.size;
  }

  #lease(entry: Entry<T>, value: T, reused: boolean): TokenLease<T> {
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      entry.refs--;
      this.#maybeRetire(entry, value);
    };
    return {
      value,
      reused,
      release,
      discard: () => {
        for (const [key, candidate] of this.#entries) if (candidate === entry) this.#close(key, entry);
        release();
      },
    };
  }

  #close(key: string, entry: Entry<T>): void {
    entry.open = false;
    if (entry.timer) clearTimeout(entry.timer);
    if (this.#entries.get(key) === entry) this.#entries.delete(key);
    // Synchronous, so drain() sees the revocation it starts; an idle entry always holds a minted value.
    if (entry.refs === 0 && entry.settled) this.#maybeRetire(entry, entry.settled.value);
  }

  #maybeRetire(entry: Entry<T>, value: T): void {
    if (entry.open || entry.refs > 0 || entry.retired) return;
    entry.retired = true;
    this.#retire(value);
  }
}
