/** Options of a group committer. */
export interface GroupCommitOptions {
  /** Largest batch handed to one write. Default 500. */
  maxBatch?: number;
  /**
   * How long the first item of an idle queue waits for company before the write starts. Default 0: the write
   * starts on the next turn of the event loop, which already gathers everything submitted in the same tick.
   */
  maxDelayMs?: number;
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Batches items into writes with at most one write in flight: whatever arrives while a write runs goes into
 * the next one, so under load the number of writes (and fsyncs) grows far slower than the number of items.
 * The writer settles each item: it returns per-item errors (undefined = durable) or throws to fail them all.
 */
export class GroupCommitter<T> {
  readonly #write: (batch: T[]) => Promise<(unknown | undefined)[] | undefined>;
  readonly #maxBatch: number;
  readonly #maxDelayMs: number;
  #queue: Pending<T>[] = [];
  #inFlight: Promise<void> | undefined;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #batches = 0;

  constructor(
    write: (batch: T[]) => Promise<(unknown | undefined)[] | undefined>,
    options: GroupCommitOptions = {},
  ) {
    this.#write = write;
    this.#maxBatch = Math.max(1, options.maxBatch ?? 500);
    this.#maxDelayMs = Math.max(0, options.maxDelayMs ?? 0);
  }

  /** Items waiting for a write (not counting the one in flight). */
  get depth(): number {
    return this.#queue.length;
  }

  /** Writes handed to the writer so far. */
  get batches(): number {
    return this.#batches;
  }

  /** Queues one item; resolves when its write succeeded. */
  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves when every item submitted so far has been written (or failed). */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#inFlight || this.#timer) {
      if (this.#timer && !this.#inFlight) this.#startNow();
      await this.#inFlight;
      if (!this.#inFlight && this.#queue.length > 0) this.#startNow();
    }
  }

  #schedule(): void {
    if (this.#inFlight) return;
    if (this.#queue.length >= this.#maxBatch) {
      this.#startNow();
      return;
    }
    if (this.#timer) return;
    this.#timer =
      this.#maxDelayMs > 0
        ? setTimeout(() => this.#startNow(), this.#maxDelayMs)
        : setImmediate(() => this.#startNow());
  }

  #startNow(): void {
    if (this.#timer) {
      clearTimeout(this.#timer as NodeJS.Timeout);
      clearImmediate(this.#timer as NodeJS.Immediate);
      this.#timer = undefined;
    }
    if (this.#inFlight || this.#queue.length === 0) return;
    const batch = this.#queue.splice(0, this.#maxBatch);
    this.#batches += 1;
    this.#inFlight = this.#run(batch).finally(() => {
      this.#inFlight = undefined;
      if (this.#queue.length > 0) this.#startNow();
    });
  }

  async #run(batch: Pending<T>[]): Promise<void> {
    try {
      const errors = await this.#write(batch.map((p) => p.item));
      batch.forEach((pending, index) => {
        const error = errors?.[index];
        if (error === undefined) pending.resolve();
        else pending.reject(error);
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }
}
