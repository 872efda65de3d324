import { type FileHandle, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { AuditSourceError } from "./errors.ts";
import { type AuditEvent, parseStoredEvent } from "./event.ts";

/** Where the spool keeps events the sink could not take, and how far replay got. */
export interface AuditSpoolOptions {
  dir: string;
}

interface Cursor {
  /** Id of the last event the sink acknowledged. */
  lastId: string;
  /** Byte offset in spool.jsonl just after that event's line. */
  offset: number;
}

const READ_CHUNK = 1024 * 1024;

/**
 * A local, fsync'd queue of events waiting for the sink: `spool.jsonl` (append-only) plus `spool.cursor` (the
 * last acknowledged id and its byte offset, replaced atomically). Replay reads from the cursor, so an event is
 * sent again only if the process died between the sink's acknowledgement and the cursor write; the replayer
 * also skips ids the sink already holds, which closes that gap too.
 */
export class AuditSpool {
  readonly path: string;
  readonly cursorPath: string;
  #handle: FileHandle | undefined;
  #size = 0;
  #cursor: Cursor | undefined;
  #pending = 0;
  #lastId: string | undefined;

  constructor(options: AuditSpoolOptions) {
    this.path = join(options.dir, "spool.jsonl");
    this.cursorPath = join(options.dir, "spool.cursor");
  }

  /** Opens (creating) the spool and counts what still waits for replay. */
  async open(): Promise<void> {
    await mkdir(join(this.path, ".."), { recursive: true, mode: 0o700 });
    this.#handle = await open(this.path, "a+", 0o600);
    this.#size = (await this.#handle.stat()).size;
    await this.#cutTornTail();
    try {
      this.#cursor = JSON.parse(await readFile(this.cursorPath, "utf8")) as Cursor;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        throw new AuditSourceError(`audit spool cursor ${this.cursorPath} is unreadable`, { cause: error });
      }
      this.#cursor = undefined;
    }
    if (this.#cursor && this.#cursor.offset > this.#size) this.#cursor = undefined;
    this.#pending = 0;
    let offset = this.#cursor?.offset ?? 0;
    for (;;) {
      const { events, nextOffset } = await this.#readFrom(offset, Number.POSITIVE_INFINITY);
      for (const event of events) {
        if (this.#cursor && event.id <= this.#cursor.lastId) continue;
        this.#pending += 1;
        this.#lastId = event.id;
      }
      if (nextOffset === offset) break;
      offset = nextOffset;
    }
  }

  /** Events spooled and not yet acknowledged. */
  get pending(): number {
    return this.#pending;
  }

  /** Id of the newest event waiting in the spool. */
  get lastId(): string | undefined {
    return this.#pending > 0 ? this.#lastId : undefined;
  }

  /** Appends events and fsyncs before resolving. */
  async append(events: readonly AuditEvent[]): Promise<void> {
    const handle = this.#requireOpen();
    const data = Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(""), "utf8");
    await handle.appendFile(data);
    await handle.sync();
    this.#size += data.length;
    this.#pending += events.length;
    this.#lastId = events.at(-1)?.id ?? this.#lastId;
  }

  /** The oldest unacknowledged events, in spool order, with the offset just after each. */
  async peek(limit: number): Promise<{ event: AuditEvent; endOffset: number }[]> {
    const out: { event: AuditEvent; endOffset: number }[] = [];
    let offset = this.#cursor?.offset ?? 0;
    while (out.length < limit) {
      const { events, ends, nextOffset } = await this.#readFrom(offset, limit - out.length);
      events.forEach((event, i) => {
        if (!this.#cursor || event.id > this.#cursor.lastId)
          out.push({ event, endOffset: ends[i] as number });
      });
      if (nextOffset === offset) break;
      offset = nextOffset;
    }
    return out.slice(0, limit);
  }

  /** Records that the sink holds everything up to and including this event; resets the spool when drained. */
  async acknowledge(lastId: string, endOffset: number, count: number): Promise<void> {
    // Counted down only once the cursor moved: a failed write must leave the events pending, or the replayer
    // would stop and newer events would overtake them.
    const pending = Math.max(0, this.#pending - count);
    if (pending === 0 && endOffset >= this.#size) {
      const handle = this.#requireOpen();
      await handle.truncate(0);
      await handle.sync();
      this.#size = 0;
      // The cursor may outlive the truncation after a crash; it then only skips ids that can no longer occur.
      await rm(this.cursorPath, { force: true });
      this.#cursor = undefined;
      this.#pending = pending;
      return;
    }
    const cursor: Cursor = { lastId, offset: endOffset };
    const temp = `${this.cursorPath}.tmp`;
    const handle = await open(temp, "w", 0o600);
    try {
      await handle.writeFile(JSON.stringify(cursor));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.cursorPath);
    this.#cursor = cursor;
    this.#pending = pending;
  }

  async close(): Promise<void> {
    await this.#handle?.close();
    this.#handle = undefined;
  }

  /** A crash mid-append leaves a partial last line that was never acknowledged; drop it before appending. */
  async #cutTornTail(): Promise<void> {
    const handle = this.#requireOpen();
    let end = this.#size;
    const byte = Buffer.alloc(1);
    while (end > 0) {
      await handle.read(byte, 0, 1, end - 1);
      if (byte[0] === 0x0a) break;
      end -= 1;
    }
    if (end < this.#size) {
      await handle.truncate(end);
      await handle.sync();
      this.#size = end;
    }
  }

  #requireOpen(): FileHandle {
    if (!this.#handle) throw new AuditSourceError("audit spool is not open");
    return this.#handle;
  }

  async #readFrom(
    offset: number,
    limit: number,
  ): Promise<{ events: AuditEvent[]; ends: number[]; nextOffset: number }> {
    const handle = this.#requireOpen();
    const length = Math.min(READ_CHUNK, this.#size - offset);
    if (length <= 0) return { events: [], ends: [], nextOffset: offset };
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    const events: AuditEvent[] = [];
    const ends: number[] = [];
    let start = 0;
    let position = offset;
    while (events.length < limit) {
      const newline = buffer.indexOf(0x0a, start);
      if (newline < 0 || newline >= bytesRead) break;
      const line = buffer.subarray(start, newline).toString("utf8");
      const parsed = parseSpoolLine(line);
      if (!parsed.ok) {
        throw new AuditSourceError(`audit spool ${this.path} holds an invalid event at byte ${position}`);
      }
      position = offset + newline + 1;
      events.push(parsed.event);
      ends.push(position);
      start = newline + 1;
    }
    if (events.length === 0 && length === READ_CHUNK) {
      throw new AuditSourceError(`audit spool ${this.path} has a line longer than ${READ_CHUNK} bytes`);
    }
    return { events, ends, nextOffset: position };
  }
}

function parseSpoolLine(line: string): ReturnType<typeof parseStoredEvent> {
  try {
    return parseStoredEvent(JSON.parse(line));
  } catch (error) {
    return { ok: false, problem: (error as Error).message };
  }
}
