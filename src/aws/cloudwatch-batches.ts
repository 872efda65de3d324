/** PutLogEvents limits as AWS documents them. */
export interface PutLogEventsLimits {
  maxEvents: number;
  maxBytes: number;
  /** Added to each message's UTF-8 size when counting a batch's bytes. */
  eventOverheadBytes: number;
  maxSpanMs: number;
}

export const PUT_LOG_EVENTS_LIMITS: PutLogEventsLimits = {
  maxEvents: 10_000,
  maxBytes: 1_048_576,
  eventOverheadBytes: 26,
  maxSpanMs: 24 * 60 * 60 * 1000,
};

/** One log event ready for PutLogEvents, with the audit id it carries. */
export interface LogEventDraft {
  id: string;
  timestamp: number;
  message: string;
}

/**
 * Splits events (already in chain order) into PutLogEvents batches: at most `maxEvents` and `maxBytes`
 * (UTF-8 + 26 per event), at most `maxSpanMs` between first and last, and chronological within a batch: a
 * timestamp earlier than its predecessor (the host clock stepped back) starts a new batch instead of being
 * re-stamped, so the log-event time stays the event's true time.
 */
export function splitIntoPutBatches(
  events: readonly LogEventDraft[],
  limits: PutLogEventsLimits = PUT_LOG_EVENTS_LIMITS,
): LogEventDraft[][] {
  const batches: LogEventDraft[][] = [];
  let current: LogEventDraft[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = Buffer.byteLength(event.message, "utf8") + limits.eventOverheadBytes;
    if (size > limits.maxBytes) {
      throw new RangeError(
        `audit event ${event.id} is ${size} bytes, more than one PutLogEvents batch holds`,
      );
    }
    const first = current[0];
    const previous = current.at(-1);
    if (
      first &&
      previous &&
      (current.length >= limits.maxEvents ||
        bytes + size > limits.maxBytes ||
        event.timestamp - first.timestamp > limits.maxSpanMs ||
        event.timestamp < previous.timestamp)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
