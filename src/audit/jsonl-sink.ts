import { type FileHandle, mkdir, open } from "node:fs/promises";
import { join } from "node:path";
import { chainEvent } from "./chain.ts";
import { ChainedAuditSink, parseChainHead } from "./chained-sink.ts";
import { AuditSourceError } from "./errors.ts";
import type { AuditEvent } from "./event.ts";
import { type JsonlLocation, jsonlFileName, listJsonlFiles, readFileTail } from "./jsonl-files.ts";

/** Options of the local hash-chained JSONL sink. */
export interface JsonlAuditSinkOptions extends JsonlLocation {
  /** Rotate when the current file would grow past this many bytes. Default 64 MiB. */
  maxFileBytes?: number;
  /** Start a new file when the UTC day changes. Default true. */
  rotateDaily?: boolean;
  /** Clock, for tests. */
  now?: () => Date;
  /** Told about repairs done at open (a torn last line from a crash is cut off). */
  onWarning?: (message: string) => void;
}

/** Counters for tests, metrics and `doctor`. */
export interface JsonlSinkStats {
  batches: number;
  events: number;
  fsyncs: number;
  rotations: number;
}

interface OpenFile {
  handle: FileHandle;
  path: string;
  day: string;
  seq: number;
  /** Bytes known to be durably written (rolled back to on a failed write). */
  size: number;
}

const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * Append-only JSONL audit trail. Each event gets `prevHash` (the previous event's hash, 64 zeros for the first)
 * and `hash`; each `append` call is one write and one fsync (group commit happens in `AuditLog`, which hands
 * over whole batches). Files rotate by size or UTC day and the chain continues across them and across restarts.
 */
export class JsonlAuditSink extends ChainedAuditSink {
  readonly name: string;
  readonly #options: Required<Omit<JsonlAuditSinkOptions, "onWarning">> &
    Pick<JsonlAuditSinkOptions, "onWarning">;
  #file: OpenFile | undefined;
  #needsRollback = false;
  readonly #stats: JsonlSinkStats = { batches: 0, events: 0, fsyncs: 0, rotations: 0 };

  constructor(options: JsonlAuditSinkOptions) {
    super();
    this.#options = {
      maxFileBytes: DEFAULT_MAX_FILE_BYTES,
      rotateDaily: true,
      now: () => new Date(),
      ...options,
    };
    this.name = `jsonl:${join(options.dir, `${options.prefix}-*.jsonl`)}`;
  }

  /** Counters since start. */
  stats(): JsonlSinkStats {
    return { ...this.#stats };
  }

  protected async release(): Promise<void> {
    await this.#file?.handle.close();
    this.#file = undefined;
  }

  /** Continues the chain from the newest stored event, cutting off a torn (crash-interrupted) last line. */
  protected async openStore(): Promise<void> {
    await mkdir(this.#options.dir, { recursive: true, mode: 0o700 });
    const files = await listJsonlFiles(this.#options);
    const newest = files.at(-1);
    if (!newest) return;
    const tail = await readFileTail(newest.path);
    const handle = await open(newest.path, "a", 0o600);
    try {
      if (tail.completeLength < tail.size) {
        // Bytes after the last newline were never acknowledged (the fsync that would have confirmed them did
        // not return), so no caller relied on them.
        await handle.truncate(tail.completeLength);
        await handle.sync();
        this.#options.onWarning?.(
          `audit file ${newest.path}: cut off a torn last line (${tail.size - tail.completeLength} bytes) left by a crash`,
        );
      }
      // A crash right after a rotation leaves the newest file empty: the chain head is then the last event of
      // the newest file that has one, or the new file would restart the chain from 64 zeros.
      let last = { path: newest.path, line: tail.lastLine };
      for (let i = files.length - 2; last.line === undefined && i >= 0; i--) {
        const older = files[i] as (typeof files)[number];
        last = { path: older.path, line: (await readFileTail(older.path)).lastLine };
      }
      if (last.line !== undefined) {
        const head = parseChainHead(last.line);
        if (!head) {
          throw new AuditSourceError(
            `audit file ${last.path} ends with an event that cannot be read, so the hash chain cannot be ` +
              "continued; run `repogate audit verify` and move the damaged file aside after investigating.",
          );
        }
        this.chain = head;
      }
    } catch (error) {
      await handle.close();
      throw error;
    }
    this.#file = { handle, path: newest.path, day: newest.day, seq: newest.seq, size: tail.completeLength };
  }

  async #rotate(day: string): Promise<OpenFile> {
    const previous = this.#file;
    const seq = (previous?.seq ?? 0) + 1;
    const path = join(this.#options.dir, jsonlFileName(this.#options.prefix, day, seq));
    // "ax", not "wx": appending, so after a failed write is cut off (below) the next write lands at the new end
    // of the file instead of at the old offset, past a hole.
    const handle = await open(path, "ax", 0o600);
    await syncDirectory(this.#options.dir);
    if (previous) {
      await previous.handle.close();
      this.#stats.rotations += 1;
    }
    this.#file = { handle, path, day, seq, size: 0 };
    return this.#file;
  }

  protected async writeBatch(events: readonly AuditEvent[]): Promise<void> {
    if (this.#needsRollback && this.#file) {
      await this.#file.handle.truncate(this.#file.size);
      this.#needsRollback = false;
    }
    let prevHash = this.chain.hash;
    const lines: string[] = [];
    for (const event of events) {
      const chained = chainEvent(event, prevHash);
      lines.push(`${JSON.stringify(chained)}\n`);
      prevHash = chained.hash;
    }
    const data = Buffer.from(lines.join(""), "utf8");
    const day = utcDay(this.#options.now());
    let file = this.#file;
    if (
      !file ||
      (this.#options.rotateDaily && file.day !== day) ||
      (file.size > 0 && file.size + data.length > this.#options.maxFileBytes)
    ) {
      file = await this.#rotate(day);
    }
    try {
      await file.handle.appendFile(data);
      await file.handle.sync();
    } catch (error) {
      // Undo a partial write so the file never holds events whose callers were told they failed.
      this.#needsRollback = true;
      await file.handle.truncate(file.size).then(
        () => {
          this.#needsRollback = false;
        },
        () => undefined,
      );
      throw error;
    }
    file.size += data.length;
    this.chain = { hash: prevHash, id: events.at(-1)?.id };
    this.#stats.batches += 1;
    this.#stats.fsyncs += 1;
    this.#stats.events += events.length;
  }
}

/** Makes a new file's directory entry durable; some platforms cannot fsync a directory, which is fine. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM") throw error;
  } finally {
    await handle.close();
  }
}
