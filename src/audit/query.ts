import type { AuditEvent } from "./event.ts";

/** Filters of `repogate audit query` / `export`. All given filters must match. */
export interface AuditQuery {
  since?: Date;
  until?: Date;
  /** Email (case-insensitive) or subject of the principal. */
  user?: string;
  /** `owner/repo` (case-insensitive): the event's resource or one of its token's repositories. */
  repo?: string;
  /** Event types; `token.*` matches every type under `token.`. */
  types?: string[];
  /** `deny`: decision.allowed false or outcome denied. `allow`: decision.allowed true or a token grant. */
  decision?: "allow" | "deny";
  limit?: number;
}

/** Thrown for a time bound that is neither ISO-8601 nor a relative duration. */
export class InvalidTimeBoundError extends Error {
  readonly code = "INVALID_TIME_BOUND";
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses `2026-11-30T10:00:00Z`, `2026-11-30`, or a duration back from now (`30s`, `15m`, `1h`, `7d`, `2w`). */
export function parseTimeBound(text: string, now: Date = new Date()): Date {
  const relative = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (relative)
    return new Date(now.getTime() - Number(relative[1]) * (UNITS[relative[2] as string] as number));
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const parsed = new Date(text);
    if (!Number.isNaN(parsed.getTime())) return parsed;
  }
  throw new InvalidTimeBoundError(
    `"${text}" is not a time: use ISO-8601 (2026-11-30T10:00:00Z) or a duration back from now (15m, 1h, 7d)`,
  );
}

function typeMatches(type: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith(".*") ? type.startsWith(p.slice(0, -1)) : type === p));
}

/** Whether one event passes every filter of the query. */
export function matchesQuery(event: AuditEvent, query: AuditQuery): boolean {
  const time = Date.parse(event.time);
  if (query.since && time < query.since.getTime()) return false;
  if (query.until && time > query.until.getTime()) return false;
  if (query.types && query.types.length > 0 && !typeMatches(event.type, query.types)) return false;
  if (query.user !== undefined) {
    const user = query.user.toLowerCase();
    const email = event.principal?.email?.toLowerCase();
    if (email !== user && event.principal?.sub !== query.user) return false;
  }
  if (query.repo !== undefined) {
    const repo = query.repo.toLowerCase();
    const repos = [event.resource?.repo, ...(event.token?.repositories ?? [])].map((r) => r?.toLowerCase());
    if (!repos.includes(repo)) return false;
  }
  if (query.decision === "deny") {
    if (!(event.decision?.allowed === false || event.outcome === "denied")) return false;
  } else if (query.decision === "allow") {
    if (!(event.decision?.allowed === true || event.type === "token.grant")) return false;
  }
  return true;
}

/** Filters a stream of events, stopping after `limit` matches. */
export async function* queryEvents(
  events: AsyncIterable<AuditEvent> | Iterable<AuditEvent>,
  query: AuditQuery,
): AsyncGenerator<AuditEvent> {
  let count = 0;
  for await (const event of events) {
    if (query.limit !== undefined && count >= query.limit) return;
    if (!matchesQuery(event, query)) continue;
    count += 1;
    yield event;
  }
}

/** Control characters shown as `\uXXXX`: an IdP claim or a tool name must not drive the reader's terminal. */
function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** One line of the human table: time, type, who, repository, what, result. */
export function formatTableRow(event: AuditEvent): string[] {
  return tableCells(event).map(printable);
}

function tableCells(event: AuditEvent): string[] {
  const who = event.principal?.email ?? event.principal?.sub ?? "-";
  const repo = event.resource?.repo ?? event.token?.repositories?.join(",") ?? "-";
  const what = event.request?.tool ?? event.operation ?? "-";
  let result = event.outcome ?? "";
  if (event.decision)
    result = `${event.decision.allowed ? "allow" : "deny"}${event.decision.code ? ` ${event.decision.code}` : ""}`;
  if (event.token) result = `${result} token ${event.token.fingerprint}`.trim();
  if (event.error) result = `${result} ${event.error.code}`.trim();
  return [event.time, event.type, who, repo, what, result || "-"];
}

/** Renders rows as an aligned text table with a header. */
export function formatTable(events: readonly AuditEvent[]): string {
  const rows = [["TIME", "TYPE", "USER", "REPOSITORY", "TOOL/OP", "RESULT"], ...events.map(formatTableRow)];
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? "").length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
