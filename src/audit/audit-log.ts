import { stat } from "node:fs/promises";
import { buildAuditEvent } from "./build-event.ts";
import {
  AuditClosedError,
  AuditConfigError,
  AuditEventRejectedError,
  AuditUnavailableError,
} from "./errors.ts";
import type { AuditEvent, AuditEventInput } from "./event.ts";
import { AuditIdSource } from "./event-id.ts";
import { type GrantRecord, grantEventInput } from "./grant-event.ts";
import { GroupCommitter } from "./group-commit.ts";
import { appendRejectedEvents } from "./rejected-file.ts";
import { AuditDeliveryError, type AuditSink, type RejectedAuditEvent } from "./sink.ts";
import { AuditSpool } from "./spool.ts";
import { replaySpoolBatch } from "./spool-replay.ts";

export type { GrantRecord } from "./grant-event.ts";

/** What to do when the sink cannot take events. */
export type AuditFailurePolicy = "deny" | "spool";

/** Options of `AuditLog.open`. */
export interface AuditLogOptions {
  sink: AuditSink;
  /** `deny` (default): the record fails with AUDIT_UNAVAILABLE. `spool`: it goes to the local spool. */
  onFailure?: AuditFailurePolicy;
  /** Directory of the spool (required for `spool`; under `deny`, events a previous run left there refuse the open). */
  spoolDir?: string;
  /** Events the sink refused for good (CloudWatch too old / too new) are appended here, fsync'd. */
  rejectedFile?: string;
  /** Largest batch per sink write. Default 500. */
  maxBatch?: number;
  /** How long an idle log waits for more events before writing. Default 0 (next event-loop turn). */
  maxDelayMs?: number;
  /** After a sink failure (`deny`) or a spool failure (`spool`), refuse at once for this long before letting a write try again. Default 2000. */
  retryAfterMs?: number;
  /** How often the spool replayer tries the sink while events wait. Default 1000. */
  replayIntervalMs?: number;
  /** How long `open` waits for the sink to name its newest event id. Default 3000 ms. */
  openTimeoutMs?: number;
  /** Largest event accepted (serialized bytes). Default 200,000 (CloudWatch allows 256 KiB per event). */
  maxEventBytes?: number;
  now?: () => Date;
  /** Told about every failed sink write (for logs and the delivery-failure metric). Never carries secrets. */
  onDeliveryFailure?: (failure: {
    error: unknown;
    events: number;
    spooled: boolean;
    replay: boolean;
  }) => void;
}

/** Counters for metrics, `doctor` and tests. */
export interface AuditLogStatus {
  /** Records would be accepted now (under `spool`, even while the sink is down). */
  healthy: boolean;
  /** The sink took the last write or replay (false during an outage, whatever the policy). */
  sinkHealthy: boolean;
  onFailure: AuditFailurePolicy;
  sink: string;
  recorded: number;
  batches: number;
  queueDepth: number;
  spooled: number;
  replayed: number;
  redactedEvents: number;
  rejectedEvents: number;
  deliveryFailures: number;
  lastError?: string;
}

const REPLAY_BATCH = 1000;

/**
 * The audit trail's front door: builds events (ULID id, time), validates them against the schema, redacts
 * secrets, and hands them to the sink in group commits. `record` resolves only once the event is durable (or
 * spooled, under `spool`); under `deny` it rejects with `AuditUnavailableError` so the caller refuses.
 */
export class AuditLog {
  readonly #sink: AuditSink;
  readonly #policy: AuditFailurePolicy;
  readonly #spool: AuditSpool | undefined;
  readonly #options: AuditLogOptions;
  readonly #committer: GroupCommitter<AuditEvent>;
  readonly #now: () => Date;
  readonly #ids = new AuditIdSource();
  #lane: Promise<unknown> = Promise.resolve();
  #downUntil = 0;
  #sinkDown = false;
  /** When the current outage began (0 while the sink is up). */
  #downSince = 0;
  /** Under `spool`: the spool failed a write; until then records are refused, after it the next one tries again. */
  #spoolDownUntil = 0;
  #closed = false;
  /** The one durable write that proves a failed sink usable again; every caller waits for the same one. */
  #probe: Promise<void> | undefined;
  #replayTimer: NodeJS.Timeout | undefined;
  #replaying: Promise<void> | undefined;
  #lastError: string | undefined;
  #counters = { recorded: 0, replayed: 0, redactedEvents: 0, rejectedEvents: 0, deliveryFailures: 0 };

  private constructor(options: AuditLogOptions, spool: AuditSpool | undefined) {
    this.#options = options;
    this.#sink = options.sink;
    this.#policy = options.onFailure ?? "deny";
    this.#spool = spool;
    this.#now = options.now ?? (() => new Date());
    this.#committer = new GroupCommitter((batch) => this.#exclusive(() => this.#writeBatch(batch)), {
      ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
      ...(options.maxDelayMs !== undefined ? { maxDelayMs: options.maxDelayMs } : {}),
    });
  }

  /** Opens the log (and its spool under `spool`, scheduling replay of what a previous run left). */
  static async open(options: AuditLogOptions): Promise<AuditLog> {
    let spool: AuditSpool | undefined;
    if ((options.onFailure ?? "deny") === "spool") {
      if (!options.spoolDir)
        throw new AuditConfigError("audit onFailure: spool needs a spool directory (spoolDir)");
      spool = new AuditSpool({ dir: options.spoolDir });
      await spool.open();
    } else if (options.spoolDir) {
      await refuseLeftoverSpool(options.spoolDir);
    }
    const log = new AuditLog(options, spool);
    await log.#raiseIdFloor([spool?.lastId]);
    if (spool && spool.pending > 0) log.#scheduleReplay(0);
    return log;
  }

  /**
   * Records one event and resolves with it (id, time, `redacted` when the guard replaced a secret) once it is
   * durable.
   */
  async record(input: AuditEventInput): Promise<AuditEvent> {
    if (this.#closed) throw new AuditClosedError();
    const event = this.#build(input);
    if (this.#policy === "deny" && !this.#sinkUsable()) {
      throw new AuditUnavailableError(
        `the ${this.#sink.name} sink failed recently: ${this.#lastError ?? "error"}`,
      );
    }
    await this.#committer.submit(event);
    this.#counters.recorded += 1;
    return event;
  }

  /** Records a `token.grant`; await it before the token is used (a call record's `granted`). */
  recordGrant(grant: GrantRecord, extra: Partial<AuditEventInput> = {}): Promise<AuditEvent> {
    return this.record(grantEventInput(grant, extra));
  }

  /**
   * False while the sink is known to be failing (`deny`) or the spool could not be written (`spool`); either
   * way only for `retryAfterMs` after the failure, so the next request probes again and the log recovers.
   */
  healthy(): boolean {
    if (this.#closed) return false;
    if (this.#policy === "spool") return Date.now() >= this.#spoolDownUntil;
    return this.#sinkUsable();
  }

  /** Throws `AuditUnavailableError` (or `AuditClosedError`) when a record would fail now: check before minting. */
  assertWritable(): void {
    if (this.#closed) throw new AuditClosedError();
    if (!this.healthy()) {
      throw new AuditUnavailableError(
        `the ${this.#sink.name} sink is failing: ${this.#lastError ?? "error"}`,
      );
    }
  }

  /**
   * Throws `AuditUnavailableError` while a token minted now could not be recorded: `assertWritable`, and under
   * `deny` also while the sink is known down and not yet proven again (the retry window may have passed; the
   * next `ensureWritable` proves it). Synchronous, for the moment a mint request is sent.
   */
  assertMintable(): void {
    this.assertWritable();
    if (this.#policy === "deny" && this.#sinkDown) {
      throw new AuditUnavailableError(
        `the ${this.#sink.name} sink failed and has not been proven since: ${this.#lastError ?? "error"}`,
      );
    }
  }

  /**
   * Resolves when a record would be durable now; check it before minting. While the sink is known to have
   * failed (`deny`) it rejects with `AuditUnavailableError` until `retryAfterMs` has passed, then proves the sink
   * with one durable write (an `audit.sink.recovered` event) before anyone may go on, so a sink that is still
   * down costs a failed probe, never a minted token. Concurrent callers share that probe.
   */
  async ensureWritable(): Promise<void> {
    this.assertWritable();
    if (this.#policy !== "deny" || !this.#sinkDown) return;
    this.#probe ??= this.#proveSink().finally(() => {
      this.#probe = undefined;
    });
    await this.#probe;
  }

  async #proveSink(): Promise<void> {
    const downSince = this.#downSince;
    const failures = this.#counters.deliveryFailures;
    await this.record({
      type: "audit.sink.recovered",
      outcome: "ok",
      details: {
        sink: this.#sink.name,
        downSince: downSince ? new Date(downSince).toISOString() : null,
        deliveryFailures: failures,
      },
    });
  }

  /** Counters and health. */
  status(): AuditLogStatus {
    return {
      healthy: this.healthy(),
      sinkHealthy: !this.#sinkDown,
      onFailure: this.#policy,
      sink: this.#sink.name,
      batches: this.#committer.batches,
      queueDepth: this.#committer.depth,
      spooled: this.#spool?.pending ?? 0,
      ...this.#counters,
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
    };
  }

  /** Waits until every event recorded so far is durable or failed, and one replay attempt ran. */
  async flush(): Promise<void> {
    await this.#committer.drain();
    if (this.#spool && this.#spool.pending > 0) await this.replayNow();
    await this.#sink.flush();
  }

  /** Runs one replay pass now (tests and shutdown); resolves when it has done what the sink allowed. */
  async replayNow(): Promise<void> {
    if (this.#replaying) return this.#replaying;
    this.#replaying = this.#replay().finally(() => {
      this.#replaying = undefined;
    });
    return this.#replaying;
  }

  /** Stops taking events, writes everything pending (what the sink will not take stays in the spool), closes. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#replayTimer);
    await this.#committer.drain();
    if (this.#spool && this.#spool.pending > 0) await this.replayNow();
    await this.#sink.close();
    await this.#spool?.close();
  }

  /**
   * Spool replay skips ids at or below the sink's newest, so new ids must sort after every stored one even when
   * the host clock stepped back across a restart. Asking the sink is bounded: a sink that is down at start must
   * not hold up the broker (the floor then comes from the spool alone).
   */
  async #raiseIdFloor(known: (string | undefined)[]): Promise<void> {
    const fromSink = this.#sink.lastEventId?.().catch(() => undefined);
    const timeout = new Promise<undefined>((resolve) => {
      setTimeout(() => resolve(undefined), this.#options.openTimeoutMs ?? 3000).unref();
    });
    const sinkLast = fromSink ? await Promise.race([fromSink, timeout]) : undefined;
    this.#ids.raiseFloor([...known, sinkLast]);
  }

  #build(input: AuditEventInput): AuditEvent {
    const now = this.#now();
    const { event, redacted } = buildAuditEvent(input, {
      id: this.#ids.next(now.getTime()),
      now,
      maxEventBytes: this.#options.maxEventBytes ?? 200_000,
    });
    if (redacted) this.#counters.redactedEvents += 1;
    return event;
  }

  #sinkUsable(): boolean {
    return Date.now() >= this.#downUntil;
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lane.then(fn);
    this.#lane = run.catch(() => undefined);
    return run;
  }

  /** One group commit: straight to the sink, or behind the spool while it holds older events. */
  async #writeBatch(batch: AuditEvent[]): Promise<(unknown | undefined)[]> {
    if (this.#spool && this.#spool.pending > 0) return this.#toSpool(batch, batch);
    try {
      await this.#sink.append(batch);
      this.#markUp();
      return batch.map(() => undefined);
    } catch (error) {
      const failure = error instanceof AuditDeliveryError ? error : undefined;
      const delivered = failure?.delivered ?? new Set<string>();
      const rejected = new Map((failure?.rejected ?? []).map((r) => [r.id, r]));
      await this.#deadLetter(
        batch.flatMap((event) => {
          const r = rejected.get(event.id);
          return r ? [{ event, reason: r.reason }] : [];
        }),
      );
      const remaining = batch.filter((e) => !delivered.has(e.id) && !rejected.has(e.id));
      if (remaining.length > 0) this.#markDown(error);
      this.#options.onDeliveryFailure?.({
        error,
        events: remaining.length,
        spooled: this.#spool !== undefined,
        replay: false,
      });
      const results: (unknown | undefined)[] = batch.map((e) => {
        const r = rejected.get(e.id);
        return r ? new AuditEventRejectedError(e.id, r.reason) : undefined;
      });
      if (remaining.length === 0) return results;
      if (this.#spool) {
        const spooled = await this.#toSpool(batch, remaining);
        return results.map((r, i) => r ?? spooled[i]);
      }
      const unavailable = new AuditUnavailableError(
        `the ${this.#sink.name} sink failed: ${describe(error)}`,
        {
          cause: error,
        },
      );
      const failed = new Set(remaining.map((e) => e.id));
      return results.map((r, i) => r ?? (failed.has((batch[i] as AuditEvent).id) ? unavailable : undefined));
    }
  }

  async #toSpool(batch: AuditEvent[], toSpool: AuditEvent[]): Promise<(unknown | undefined)[]> {
    const spool = this.#spool as AuditSpool;
    try {
      await spool.append(toSpool);
      this.#spoolDownUntil = 0;
    } catch (error) {
      this.#spoolDownUntil = Date.now() + (this.#options.retryAfterMs ?? 2000);
      this.#lastError = `spool: ${describe(error)}`;
      const unavailable = new AuditUnavailableError(`the audit spool cannot be written: ${describe(error)}`, {
        cause: error,
      });
      const failed = new Set(toSpool.map((e) => e.id));
      return batch.map((e) => (failed.has(e.id) ? unavailable : undefined));
    }
    this.#scheduleReplay(this.#options.replayIntervalMs ?? 1000);
    return batch.map(() => undefined);
  }

  #scheduleReplay(delayMs: number): void {
    if (this.#replayTimer || this.#closed) return;
    this.#replayTimer = setTimeout(() => {
      this.#replayTimer = undefined;
      void this.replayNow()
        .catch((error: unknown) => {
          // Spool read or cursor write failed: keep the events, report, and try again on the next tick.
          this.#lastError = `spool replay: ${describe(error)}`;
          this.#options.onDeliveryFailure?.({
            error,
            events: this.#spool?.pending ?? 0,
            spooled: true,
            replay: true,
          });
        })
        .then(() => {
          if (this.#spool && this.#spool.pending > 0) {
            this.#scheduleReplay(this.#options.replayIntervalMs ?? 1000);
          }
        });
    }, delayMs);
    this.#replayTimer.unref();
  }

  /** Sends spooled events in order, one batch per lane turn so new events can queue behind them meanwhile. */
  async #replay(): Promise<void> {
    const spool = this.#spool;
    if (!spool) return;
    while (spool.pending > 0) {
      const progressed = await this.#exclusive(() => this.#replayStep(spool));
      if (!progressed) return;
    }
  }

  async #replayStep(spool: AuditSpool): Promise<boolean> {
    const outcome = await replaySpoolBatch(spool, this.#sink, REPLAY_BATCH);
    if (!outcome) return false;
    this.#counters.replayed += outcome.sent + outcome.skipped;
    await this.#deadLetter(outcome.rejected);
    if (outcome.error === undefined) {
      this.#markUp();
      return true;
    }
    this.#markDown(outcome.error);
    this.#options.onDeliveryFailure?.({
      error: outcome.error,
      events: spool.pending,
      spooled: true,
      replay: true,
    });
    return false;
  }

  async #deadLetter(rejected: { event: AuditEvent; reason: RejectedAuditEvent["reason"] }[]): Promise<void> {
    this.#counters.rejectedEvents += rejected.length;
    if (this.#options.rejectedFile) await appendRejectedEvents(this.#options.rejectedFile, rejected);
  }

  #markUp(): void {
    this.#downUntil = 0;
    this.#sinkDown = false;
    this.#downSince = 0;
    // The sink takes events directly again, so a spool that failed is not in the way of recording.
    this.#spoolDownUntil = 0;
  }

  #markDown(error: unknown): void {
    this.#counters.deliveryFailures += 1;
    this.#sinkDown = true;
    this.#downSince ||= Date.now();
    this.#lastError = describe(error);
    this.#downUntil = Date.now() + (this.#options.retryAfterMs ?? 2000);
  }
}

/**
 * Under `deny` nothing replays a spool, so events a previous run kept there (under `spool`) would never reach
 * the sink, silently. Refuse to open instead, saying how to get them delivered.
 */
async function refuseLeftoverSpool(dir: string): Promise<void> {
  const leftover = new AuditSpool({ dir });
  try {
    await stat(leftover.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return;
    throw error;
  }
  await leftover.open();
  const pending = leftover.pending;
  await leftover.close();
  if (pending > 0) {
    throw new AuditConfigError(
      `the audit spool ${leftover.path} holds ${pending} event(s) a previous run could not deliver, and ` +
        "audit.onFailure is deny, which never replays it: start once with audit.onFailure spool to deliver them",
    );
  }
}

/** A short, secret-free description of a sink error (code/name and message). */
function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const label = typeof code === "string" ? code : error.name;
    return `${label}: ${error.message}`.slice(0, 300);
  }
  return String(error).slice(0, 300);
}
