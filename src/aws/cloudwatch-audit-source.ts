import { type CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import type { AuditEvent } from "../audit/event.ts";
import type { AuditQuery } from "../audit/query.ts";
import { parseRecord, type StoredRecord } from "../audit/records.ts";
import { ChainWalker, type VerifyResult } from "../audit/verify.ts";

/** Which log group (and optionally streams) to read, and how. */
export interface CloudWatchAuditSource {
  client: CloudWatchLogsClient;
  logGroup: string;
  logStreamNames?: string[];
}

function quote(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * A CloudWatch JSON filter pattern that pre-selects the events of a query (`{ $.type = "access.deny" && … }`);
 * the caller still applies `matchesQuery`, because patterns compare case-sensitively.
 */
export function cloudWatchFilterPattern(query: AuditQuery): string | undefined {
  const terms: string[] = [];
  if (query.types && query.types.length > 0) {
    // CloudWatch's `*` in a string value matches any run of characters, as `token.*` does locally.
    terms.push(`(${query.types.map((t) => `$.type = ${quote(t)}`).join(" || ")})`);
  }
  if (query.user !== undefined) {
    const spellings = [...new Set([query.user, query.user.toLowerCase()])];
    const alternatives = [
      ...spellings.map((u) => `$.principal.email = ${quote(u)}`),
      `$.principal.sub = ${quote(query.user)}`,
    ];
    terms.push(`(${alternatives.join(" || ")})`);
  }
  if (query.repo !== undefined) terms.push(`$.resource.repo = ${quote(query.repo.toLowerCase())}`);
  if (query.decision === "deny") terms.push(`($.decision.allowed IS FALSE || $.outcome = "denied")`);
  if (query.decision === "allow") terms.push(`($.decision.allowed IS TRUE || $.type = "token.grant")`);
  return terms.length > 0 ? `{ ${terms.join(" && ")} }` : undefined;
}

/** Every log event of the group matching the pattern and time range, as records tagged with their stream. */
export async function* readCloudWatchRecords(
  source: CloudWatchAuditSource,
  filter: { filterPattern?: string; startTime?: number; endTime?: number } = {},
): AsyncGenerator<StoredRecord & { stream: string; timestamp: number }> {
  let nextToken: string | undefined;
  const positions = new Map<string, number>();
  do {
    const page = await source.client.send(
      new FilterLogEventsCommand({
        logGroupName: source.logGroup,
        ...(source.logStreamNames ? { logStreamNames: source.logStreamNames } : {}),
        ...(filter.filterPattern ? { filterPattern: filter.filterPattern } : {}),
        ...(filter.startTime !== undefined ? { startTime: filter.startTime } : {}),
        ...(filter.endTime !== undefined ? { endTime: filter.endTime } : {}),
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    for (const event of page.events ?? []) {
      const stream = event.logStreamName ?? "(unknown)";
      const line = (positions.get(stream) ?? 0) + 1;
      positions.set(stream, line);
      yield {
        source: `cloudwatch:${source.logGroup}/${stream}`,
        stream,
        line,
        text: event.message ?? "",
        timestamp: event.timestamp ?? 0,
      };
    }
    nextToken = page.nextToken;
  } while (nextToken);
}

/** Events of a query read through FilterLogEvents, de-duplicated by id (CloudWatch has no dedupe). */
export async function* queryCloudWatchEvents(
  source: CloudWatchAuditSource,
  query: AuditQuery,
): AsyncGenerator<AuditEvent> {
  const seen = new Set<string>();
  const filterPattern = cloudWatchFilterPattern(query);
  for await (const record of readCloudWatchRecords(source, {
    ...(filterPattern ? { filterPattern } : {}),
    ...(query.since ? { startTime: query.since.getTime() } : {}),
    ...(query.until ? { endTime: query.until.getTime() } : {}),
  })) {
    const parsed = parseRecord(record);
    if (!parsed.ok || seen.has(parsed.event.id)) continue;
    seen.add(parsed.event.id);
    yield parsed.event;
  }
}

/**
 * Verifies each stream's chain: the stream's events in id order (the order they were chained in), each linked
 * to the one before from the genesis hash. An exact re-delivery of the previous event is counted, not failed.
 */
export async function verifyCloudWatchTrail(
  source: CloudWatchAuditSource,
): Promise<Map<string, VerifyResult>> {
  const byStream = new Map<string, { record: StoredRecord; sortKey: string; timestamp: number }[]>();
  for await (const record of readCloudWatchRecords(source)) {
    const parsed = parseRecord(record);
    const list = byStream.get(record.stream) ?? [];
    list.push({ record, sortKey: parsed.ok ? parsed.event.id : "", timestamp: record.timestamp });
    byStream.set(record.stream, list);
  }
  const results = new Map<string, VerifyResult>();
  for (const [stream, list] of [...byStream].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    list.sort((a, b) =>
      a.sortKey && b.sortKey
        ? a.sortKey < b.sortKey
          ? -1
          : a.sortKey > b.sortKey
            ? 1
            : 0
        : a.timestamp - b.timestamp,
    );
    const walker = new ChainWalker({ requireGenesis: true, allowDuplicateDeliveries: true });
    list.every((item, index) => walker.push({ ...item.record, line: index + 1 }));
    results.set(stream, walker.finish());
  }
  return results;
}
