import type { RequestInput } from "../input.ts";
import type { OperationContext } from "../operation.ts";
import { AwsServiceError } from "../protocol.ts";
import type { StoredLogEvent, StoredLogStream } from "./model.ts";
import { findGroup, findStream, GROUP_NAME_RULE, STREAM_NAME_RULE } from "./resources.ts";

/** PutLogEvents quotas as AWS documents them. */
export const MAX_BATCH_EVENTS = 10_000;
export const MAX_BATCH_BYTES = 1_048_576;
export const EVENT_OVERHEAD_BYTES = 26;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MAX_AGE = 14 * DAY;
const MAX_FUTURE = 2 * HOUR;
const MAX_SPAN = DAY;

function invalid(message: string): AwsServiceError {
  return new AwsServiceError("InvalidParameterException", message);
}

/** Inserts keeping the stream ordered by timestamp, events with equal timestamps in arrival order. */
function insertOrdered(stream: StoredLogStream, event: StoredLogEvent): void {
  const events = stream.events;
  let low = 0;
  let high = events.length;
  if (high === 0 || (events[high - 1] as StoredLogEvent).timestamp <= event.timestamp) {
    events.push(event);
    return;
  }
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((events[mid] as StoredLogEvent).timestamp <= event.timestamp) low = mid + 1;
    else high = mid;
  }
  events.splice(low, 0, event);
}

/**
 * PutLogEvents: checks the batch rules (count, size with 26 bytes per event, chronological order, 24-hour span),
 * stores the events that are in the accepted window and reports the rest in rejectedLogEventsInfo, as AWS does.
 */
export function putLogEvents(input: RequestInput, context: OperationContext): unknown {
  const groupName = input.string("logGroupName", GROUP_NAME_RULE);
  const streamName = input.string("logStreamName", STREAM_NAME_RULE);
  const rawEvents = input.list("logEvents", { min: 1, max: MAX_BATCH_EVENTS });
  input.optionalString("sequenceToken");
  const events = rawEvents.map((raw, index) => {
    const { timestamp, message } = raw;
    if (typeof timestamp !== "number" || !Number.isInteger(timestamp) || timestamp < 0) {
      throw invalid(
        `1 validation error detected: Value at 'logEvents.${index + 1}.member.timestamp' must be a non-negative integer`,
      );
    }
    if (typeof message !== "string" || message.length < 1) {
      throw invalid(
        `1 validation error detected: Value at 'logEvents.${index + 1}.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1`,
      );
    }
    return { timestamp, message };
  });
  const group = findGroup(context, groupName);
  const stream = findStream(group, streamName);

  const bytes = events.reduce(
    (sum, e) => sum + Buffer.byteLength(e.message, "utf8") + EVENT_OVERHEAD_BYTES,
    0,
  );
  if (bytes > MAX_BATCH_BYTES) {
    throw invalid(`Upload too large: ${bytes} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
  }
  for (let i = 1; i < events.length; i++) {
    if ((events[i] as { timestamp: number }).timestamp < (events[i - 1] as { timestamp: number }).timestamp) {
      throw invalid("Log events in a single PutLogEvents request must be in chronological order.");
    }
  }
  const first = (events[0] as { timestamp: number }).timestamp;
  const last = (events[events.length - 1] as { timestamp: number }).timestamp;
  if (last - first > MAX_SPAN) {
    throw invalid("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.");
  }

  const now = context.now();
  const tooOldBefore = now - MAX_AGE;
  const expiredBefore = group.retentionInDays !== undefined ? now - group.retentionInDays * DAY : undefined;
  const tooNewAfter = now + MAX_FUTURE;
  // Events are chronological, so the too-old ones form a prefix and the too-new ones a suffix.
  let tooOldEnd = 0;
  while (tooOldEnd < events.length && (events[tooOldEnd] as { timestamp: number }).timestamp < tooOldBefore)
    tooOldEnd++;
  let expiredEnd = tooOldEnd;
  if (expiredBefore !== undefined) {
    while (
      expiredEnd < events.length &&
      (events[expiredEnd] as { timestamp: number }).timestamp < expiredBefore
    ) {
      expiredEnd++;
    }
  }
  let tooNewStart = events.length;
  while (
    tooNewStart > expiredEnd &&
    (events[tooNewStart - 1] as { timestamp: number }).timestamp > tooNewAfter
  ) {
    tooNewStart--;
  }

  for (let i = expiredEnd; i < tooNewStart; i++) {
    const event = events[i] as { timestamp: number; message: string };
    stream.uploadSequence += 1;
    insertOrdered(stream, {
      timestamp: event.timestamp,
      message: event.message,
      ingestionTime: now,
      eventId: `${String(event.timestamp).padStart(20, "0")}${String(stream.uploadSequence).padStart(36, "0")}`,
    });
  }
  stream.lastIngestionTime = now;
  context.changed();

  const rejected: Record<string, number> = {};
  if (tooOldEnd > 0) rejected.tooOldLogEventEndIndex = tooOldEnd;
  if (expiredEnd > tooOldEnd) rejected.expiredLogEventEndIndex = expiredEnd;
  if (tooNewStart < events.length) rejected.tooNewLogEventStartIndex = tooNewStart;
  return {
    nextSequenceToken: String(stream.uploadSequence).padStart(56, "0"),
    ...(Object.keys(rejected).length > 0 ? { rejectedLogEventsInfo: rejected } : {}),
  };
}
