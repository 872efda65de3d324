import type { AuditEvent } from "./event.ts";
import { AuditDeliveryError, type AuditSink, type RejectedAuditEvent } from "./sink.ts";
import type { AuditSpool } from "./spool.ts";

/** What one replay batch achieved. */
export interface ReplayBatchOutcome {
  /** Events the sink already held (sent before a crash, acknowledged now without resending). */
  skipped: number;
  /** Events the sink took in this batch. */
  sent: number;
  /** Events the sink refused for good (acknowledged so they do not block the spool; keep them aside). */
  rejected: { event: AuditEvent; reason: RejectedAuditEvent["reason"] }[];
  /** Set when the sink failed; the unsent events stay in the spool. */
  error?: unknown;
}

/**
 * Sends the oldest spooled events to the sink, in order, and moves the spool cursor past what the sink took.
 * Ids at or below the sink's own last id are skipped rather than resent, so a crash between the sink's
 * acknowledgement and the cursor write does not duplicate events. Returns undefined when nothing waits.
 */
export async function replaySpoolBatch(
  spool: AuditSpool,
  sink: AuditSink,
  limit: number,
): Promise<ReplayBatchOutcome | undefined> {
  const waiting = await spool.peek(limit);
  if (waiting.length === 0) return undefined;
  const outcome: ReplayBatchOutcome = { skipped: 0, sent: 0, rejected: [] };
  let fresh = waiting;
  try {
    const held = await sink.lastEventId?.();
    fresh = waiting.filter((w) => held === undefined || w.event.id > held);
    const skipped = waiting.slice(0, waiting.length - fresh.length);
    const lastSkipped = skipped.at(-1);
    if (lastSkipped) {
      await spool.acknowledge(lastSkipped.event.id, lastSkipped.endOffset, skipped.length);
      outcome.skipped = skipped.length;
    }
    if (fresh.length === 0) return outcome;
    await sink.append(fresh.map((w) => w.event));
    const last = fresh.at(-1) as (typeof fresh)[number];
    await spool.acknowledge(last.event.id, last.endOffset, fresh.length);
    outcome.sent = fresh.length;
    return outcome;
  } catch (error) {
    if (!(error instanceof AuditDeliveryError)) return { ...outcome, error };
    // Delivered and rejected events form a prefix of the batch: move the cursor past exactly that prefix.
    const reasons = new Map(error.rejected.map((r) => [r.id, r.reason]));
    let done = 0;
    while (done < fresh.length) {
      const id = (fresh[done] as (typeof fresh)[number]).event.id;
      if (!error.delivered.has(id) && !reasons.has(id)) break;
      done += 1;
    }
    const lastDone = fresh[done - 1];
    if (lastDone) await spool.acknowledge(lastDone.event.id, lastDone.endOffset, done);
    for (const w of fresh.slice(0, done)) {
      const reason = reasons.get(w.event.id);
      if (reason) outcome.rejected.push({ event: w.event, reason });
    }
    outcome.sent = done - outcome.rejected.length;
    return { ...outcome, error };
  }
}
