import type { AuditEvent } from "./event.ts";

/** Columns of the CSV export, in order: dotted paths into the event. */
export const CSV_COLUMNS = [
  "id",
  "time",
  "type",
  "principal.sub",
  "principal.email",
  "principal.groups",
  "principal.via",
  "request.id",
  "request.clientRequestId",
  "request.ip",
  "request.userAgent",
  "request.tool",
  "resource.repo",
  "resource.ref",
  "resource.path",
  "operation",
  "decision.allowed",
  "decision.rule",
  "decision.reason",
  "decision.code",
  "token.fingerprint",
  "token.installationId",
  "token.repositories",
  "token.permissions",
  "token.expiresAt",
  "outcome",
  "latencyMs",
  "error.code",
  "error.message",
  "details",
  "redacted",
  "prevHash",
  "hash",
] as const;

function valueAt(event: AuditEvent, path: string): unknown {
  let node: unknown = event;
  for (const key of path.split(".")) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function cellText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.join(";");
  if (typeof value === "object") {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(";");
  }
  return String(value);
}

/** RFC 4180 quoting, plus a leading `'` on text a spreadsheet would run as a formula (CSV injection). */
export function csvCell(value: unknown): string {
  let text = cellText(value);
  // Lists and maps are rendered as text too (IdP groups, repositories): only numbers and booleans are exempt.
  if (/^[=+\-@\t\r]/.test(text) && typeof value !== "number" && typeof value !== "boolean") text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV header line. */
export function csvHeader(): string {
  return CSV_COLUMNS.join(",");
}

/** One event as a CSV line (no newline). */
export function eventToCsv(event: AuditEvent): string {
  return CSV_COLUMNS.map((column) => csvCell(valueAt(event, column))).join(",");
}

/** One event as a JSONL line (no newline), exactly as stored, chain fields included. */
export function eventToJsonl(event: AuditEvent): string {
  return JSON.stringify(event);
}
