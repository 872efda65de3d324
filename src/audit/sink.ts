import { AuditError } from "./errors.ts";
import type { AuditEvent } from "./event.ts";

/**
 * Where audit events go. Events arrive in id order; a sink keeps that order and adds its own hash chain.
 * Implementations: `JsonlAuditSink` (local, hash-chained JSONL) and `CloudWatchAuditSink` (CloudWatch Logs).
 */
export interface AuditSink {
  /** Human name for messages and `doctor` ("jsonl:/var/audit", "cloudwatch:/repogate/audit/replica-a"). */
  readonly name: string;
  /**
   * Resolves only when every event is durably accepted (fsync'd, or stored by CloudWatch without rejection).
   * On failure throws `AuditDeliveryError` saying which events did get through, or any other error meaning
   * none did.
   */
  append(events: readonly AuditEvent[]): Promise<void>;
  /** Id of the newest event the sink holds, read from the sink itself (used to replay a spool exactly once). */
  lastEventId?(): Promise<string | undefined>;
  /** Waits for writes in flight. */
  flush(): Promise<void>;
  /** Flushes and releases files or clients; append afterwards fails. */
  close(): Promise<void>;
}

/** A permanent per-event refusal (CloudWatch rejectedLogEventsInfo). */
export interface RejectedAuditEvent {
  id: string;
  reason: "tooOld" | "tooNew" | "expired";
}

/**
 * A partial or total delivery failure. `delivered` and `rejected` together are a prefix of the batch (a sink
 * stops at the first failed write); the remaining events were not stored and may be retried.
 */
export class AuditDeliveryError extends AuditError {
  readonly delivered: ReadonlySet<string>;
  readonly rejected: readonly RejectedAuditEvent[];
  constructor(
    message: string,
    detail: { delivered?: Iterable<string>; rejected?: readonly RejectedAuditEvent[]; cause?: unknown } = {},
  ) {
    super("AUDIT_DELIVERY_FAILED", message, { cause: detail.cause });
    this.delivered = new Set(detail.delivered ?? []);
    this.rejected = detail.rejected ?? [];
  }
}
