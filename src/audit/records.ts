import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { type AuditEvent, parseStoredEvent } from "./event.ts";
import type { JsonlFile } from "./jsonl-files.ts";

/** One stored line (or CloudWatch message) with its position, for error messages a human can follow. */
export interface StoredRecord {
  /** File path, or `cloudwatch:<group>/<stream>`. */
  source: string;
  /** 1-based line number in the file, or position in the stream. */
  line: number;
  text: string;
}

/** A record read as an event, or why it could not be. */
export type ParsedRecord =
  | { ok: true; record: StoredRecord; event: AuditEvent }
  | { ok: false; record: StoredRecord; problem: string };

/** Yields every line of the files in order, numbered from 1 in each file. */
export async function* readJsonlRecords(files: readonly { path: string }[]): AsyncGenerator<StoredRecord> {
  for (const file of files) {
    const input = createReadStream(file.path, "utf8");
    const lines = createInterface({ input, crlfDelay: Infinity });
    let line = 0;
    try {
      for await (const text of lines) {
        line += 1;
        yield { source: file.path, line, text };
      }
    } finally {
      lines.close();
      input.destroy();
    }
  }
}

/** Parses one record: JSON, then the audit schema. */
export function parseRecord(record: StoredRecord): ParsedRecord {
  let value: unknown;
  try {
    value = JSON.parse(record.text);
  } catch (error) {
    return { ok: false, record, problem: `not valid JSON (${(error as Error).message})` };
  }
  const parsed = parseStoredEvent(value);
  return parsed.ok
    ? { ok: true, record, event: parsed.event }
    : { ok: false, record, problem: parsed.problem };
}

/** Events of the files, skipping (and counting) lines that do not parse. */
export async function* readJsonlEvents(
  files: readonly JsonlFile[] | readonly { path: string }[],
  onBadLine?: (parsed: ParsedRecord & { ok: false }) => void,
): AsyncGenerator<AuditEvent> {
  for await (const record of readJsonlRecords(files)) {
    const parsed = parseRecord(record);
    if (parsed.ok) yield parsed.event;
    else onBadLine?.(parsed);
  }
}
