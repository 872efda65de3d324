import type { RequestInput } from "../input.ts";
import type { OperationContext } from "../operation.ts";
import { AwsServiceError } from "../protocol.ts";
import { compileFilterPattern, InvalidFilterPatternError, type LogMatcher } from "./filter-pattern.ts";
import type { StoredLogEvent } from "./model.ts";
import { findStream, groupFromInput, STREAM_NAME_RULE } from "./resources.ts";

const MAX_LIMIT = 10_000;

function invalidToken(): AwsServiceError {
  return new AwsServiceError("InvalidParameterException", "The specified nextToken is invalid.");
}

function positionToken(direction: "f" | "b", position: number): string {
  return `${direction}/${String(position).padStart(56, "0")}`;
}

/**
 * GetLogEvents: one stream, newest events first unless startFromHead; forward and backward tokens are positions in
 * the time-filtered stream, and at the end of the stream the token passed in comes back unchanged, as AWS does.
 */
export function getLogEvents(input: RequestInput, context: OperationContext): unknown {
  const group = groupFromInput(input, context);
  const stream = findStream(group, input.string("logStreamName", STREAM_NAME_RULE));
  const startTime = input.optionalNumber("startTime", { min: 0 });
  const endTime = input.optionalNumber("endTime", { min: 0 });
  const limit = input.optionalNumber("limit", { min: 1, max: MAX_LIMIT }) ?? MAX_LIMIT;
  const startFromHead = input.optionalBoolean("startFromHead") ?? false;
  const nextToken = input.optionalString("nextToken", { min: 1 });
  const events = stream.events.filter(
    (e) =>
      (startTime === undefined || e.timestamp >= startTime) &&
      (endTime === undefined || e.timestamp < endTime),
  );
  let direction: "f" | "b" = startFromHead ? "f" : "b";
  let position = startFromHead ? 0 : events.length;
  if (nextToken !== undefined) {
    const match = /^([fb])\/(\d+)$/.exec(nextToken);
    if (!match) throw invalidToken();
    direction = match[1] as "f" | "b";
    position = Number(match[2]);
    if (position > events.length) throw invalidToken();
  }
  let from: number;
  let to: number;
  if (direction === "f") {
    from = position;
    to = Math.min(events.length, position + limit);
  } else {
    to = position;
    from = Math.max(0, position - limit);
  }
  return {
    events: events.slice(from, to).map((e) => ({
      timestamp: e.timestamp,
      message: e.message,
      ingestionTime: e.ingestionTime,
    })),
    nextForwardToken: positionToken("f", to),
    nextBackwardToken: positionToken("b", from),
  };
}

function decodeFilterToken(token: string): number {
  try {
    const decoded = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { offset?: unknown };
    if (typeof decoded.offset === "number" && Number.isInteger(decoded.offset) && decoded.offset >= 0) {
      return decoded.offset;
    }
  } catch {
    throw invalidToken();
  }
  throw invalidToken();
}

/**
 * FilterLogEvents: events of a group (optionally some streams, or a stream name prefix) within [startTime, endTime]
 * that match the filter pattern, interleaved by timestamp, paged with an opaque nextToken.
 */
export function filterLogEvents(input: RequestInput, context: OperationContext): unknown {
  const group = groupFromInput(input, context);
  const streamNames = input.optionalStringList("logStreamNames", { min: 1, max: 100 });
  const prefix = input.optionalString("logStreamNamePrefix", { min: 1, max: 512 });
  if (streamNames !== undefined && prefix !== undefined) {
    throw new AwsServiceError(
      "InvalidParameterException",
      "logStreamNames and logStreamNamePrefix are mutually exclusive",
    );
  }
  const startTime = input.optionalNumber("startTime", { min: 0 });
  const endTime = input.optionalNumber("endTime", { min: 0 });
  const limit = input.optionalNumber("limit", { min: 1, max: MAX_LIMIT }) ?? MAX_LIMIT;
  const nextToken = input.optionalString("nextToken", { min: 1 });
  let matcher: LogMatcher;
  try {
    matcher = compileFilterPattern(input.optionalString("filterPattern", { max: 1024 }));
  } catch (error) {
    if (error instanceof InvalidFilterPatternError)
      throw new AwsServiceError("InvalidParameterException", error.message);
    throw error;
  }
  const streams = Object.values(group.streams).filter(
    (s) =>
      (streamNames === undefined || streamNames.includes(s.name)) &&
      (prefix === undefined || s.name.startsWith(prefix)),
  );
  const matches: (StoredLogEvent & { logStreamName: string })[] = [];
  for (const stream of streams) {
    for (const event of stream.events) {
      if (startTime !== undefined && event.timestamp < startTime) continue;
      if (endTime !== undefined && event.timestamp > endTime) continue;
      if (matcher(event.message)) matches.push({ ...event, logStreamName: stream.name });
    }
  }
  matches.sort((a, b) => a.timestamp - b.timestamp || a.ingestionTime - b.ingestionTime);
  const offset = nextToken === undefined ? 0 : decodeFilterToken(nextToken);
  const page = matches.slice(offset, offset + limit);
  const end = offset + page.length;
  return {
    events: page.map((e) => ({
      logStreamName: e.logStreamName,
      timestamp: e.timestamp,
      message: e.message,
      ingestionTime: e.ingestionTime,
      eventId: e.eventId,
    })),
    searchedLogStreams: streams.map((s) => ({ logStreamName: s.name, searchedCompletely: true })),
    ...(end < matches.length
      ? { nextToken: Buffer.from(JSON.stringify({ offset: end })).toString("base64url") }
      : {}),
  };
}
