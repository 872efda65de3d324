import { setTimeout as sleep } from "node:timers/promises";

/** How many requests of one kind may be in flight at once, and how far apart their starts must be. */
export interface LaneLimits {
  maxConcurrent: number;
  /** Minimum milliseconds between two starts (GitHub's advice for writes and searches). Default 0. */
  minSpacingMs?: number;
}

/**
 * A concurrency cap with optional spacing between starts. A request that fits starts in the same tick:
 * no timer, no queue hop. Only a full lane queues, and only required spacing sleeps.
 */
class RequestLane {
  readonly #maxConcurrent: number;
  readonly #minSpacingMs: number;
  readonly #waiting: (() => void)[] = [];
  #active = 0;
  #lastStartMs = Number.NEGATIVE_INFINITY;
  #spacingTimer = false;

  constructor(limits: LaneLimits) {
    this.#maxConcurrent = Math.max(1, limits.maxConcurrent);
    this.#minSpacingMs = limits.minSpacingMs ?? 0;
  }

  get idle(): boolean {
    return this.#active === 0 && this.#waiting.length === 0 && this.#spacingLeftMs() <= 0;
  }

  /** Runs `task` when the lane allows; `bypassCap` (retries) skips the concurrency cap and the queue, not the spacing. */
  async run<T>(task: () => Promise<T>, bypassCap: boolean): Promise<T> {
    if (bypassCap) {
      for (let left = this.#spacingLeftMs(); left > 0; left = this.#spacingLeftMs()) await sleep(left);
      this.#lastStartMs = performance.now();
      return await task();
    }
    if (this.#waiting.length === 0 && this.#active < this.#maxConcurrent && this.#spacingLeftMs() <= 0) {
      this.#active++;
      this.#lastStartMs = performance.now();
    } else {
      // #pump counts the request as active when it lets it start.
      await new Promise<void>((start) => {
        this.#waiting.push(start);
        this.#pump();
      });
    }
    try {
      return await task();
    } finally {
      this.#active--;
      this.#pump();
    }
  }

  #spacingLeftMs(): number {
    return this.#lastStartMs + this.#minSpacingMs - performance.now();
  }

  /** Starts queued requests while capacity and spacing allow; sets a timer only for spacing. */
  #pump(): void {
    while (this.#waiting.length > 0 && this.#active < this.#maxConcurrent) {
      const left = this.#spacingLeftMs();
      if (left > 0) {
        if (!this.#spacingTimer) {
          this.#spacingTimer = true;
          void sleep(left).then(() => {
            this.#spacingTimer = false;
            this.#pump();
          });
        }
        return;
      }
      this.#active++;
      this.#lastStartMs = performance.now();
      (this.#waiting.shift() as () => void)();
    }
  }
}

/**
 * Lanes shared by every octokit of one broker, keyed by kind and id (an installation, the App), so the
 * caps hold across the short-lived per-call clients. Idle lanes are dropped.
 */
export class UpstreamLanes {
  readonly #lanes = new Map<string, RequestLane>();

  /** Runs `task` in the lane `key`, created with `limits` when it does not exist yet. */
  async run<T>(key: string, limits: LaneLimits, task: () => Promise<T>, bypassCap = false): Promise<T> {
    let lane = this.#lanes.get(key);
    if (!lane) {
      lane = new RequestLane(limits);
      this.#lanes.set(key, lane);
    }
    try {
      return await lane.run(task, bypassCap);
    } finally {
      if (lane.idle && this.#lanes.get(key) === lane) this.#lanes.delete(key);
    }
  }

  /** Lanes currently held (tests: idle ones are dropped). */
  get size(): number {
    return this.#lanes.size;
  }
}
