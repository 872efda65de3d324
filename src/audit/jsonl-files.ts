import { open, readdir } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";

/** Where a JSONL audit trail lives: `<dir>/<prefix>-<YYYY-MM-DD>-<NNNNNN>.jsonl`, one file per rotation. */
export interface JsonlLocation {
  dir: string;
  prefix: string;
}

/** One file of a rotated trail. */
export interface JsonlFile {
  path: string;
  name: string;
  /** UTC day the file was opened. */
  day: string;
  /** Rotation sequence number; files are read in this order. */
  seq: number;
}

/** Derives the location from the config's `audit.file` (".repogate/audit/audit.jsonl" → dir + prefix "audit"). */
export function jsonlLocationFromPath(file: string): JsonlLocation {
  const name = basename(file, extname(file)) || "audit";
  return { dir: dirname(file), prefix: name };
}

/** File name for a rotation sequence number and day. */
export function jsonlFileName(prefix: string, day: string, seq: number): string {
  return `${prefix}-${day}-${String(seq).padStart(6, "0")}.jsonl`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The trail's files, oldest first; an absent directory is an empty trail. */
export async function listJsonlFiles(location: JsonlLocation): Promise<JsonlFile[]> {
  let names: string[];
  try {
    names = await readdir(location.dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const pattern = new RegExp(`^${escapeRegExp(location.prefix)}-(\\d{4}-\\d{2}-\\d{2})-(\\d{6,})\\.jsonl$`);
  const files: JsonlFile[] = [];
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    files.push({ path: join(location.dir, name), name, day: match[1] as string, seq: Number(match[2]) });
  }
  return files.sort((a, b) => a.seq - b.seq);
}

/** The end of a file: its last complete line and the byte length up to and including that line's newline. */
export interface FileTail {
  size: number;
  /** Bytes up to and including the last "\n"; `size - completeLength` bytes are a torn (partial) line. */
  completeLength: number;
  lastLine: string | undefined;
}

/** Reads backwards in chunks until the last complete line is found, without reading the whole file. */
export async function readFileTail(path: string): Promise<FileTail> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    const chunkSize = 64 * 1024;
    let end = size;
    let buffered = Buffer.alloc(0);
    let completeLength: number | undefined;
    while (end > 0) {
      const start = Math.max(0, end - chunkSize);
      const chunk = Buffer.alloc(end - start);
      await handle.read(chunk, 0, chunk.length, start);
      buffered = Buffer.concat([chunk, buffered]);
      end = start;
      if (completeLength === undefined) {
        const lastNewline = buffered.lastIndexOf(0x0a);
        if (lastNewline < 0) continue;
        completeLength = end + lastNewline + 1;
      }
      const lineEnd = completeLength - end - 1;
      const previousNewline = buffered.lastIndexOf(0x0a, lineEnd - 1);
      if (previousNewline >= 0 || end === 0) {
        const line = buffered.subarray(previousNewline + 1, lineEnd).toString("utf8");
        return { size, completeLength, lastLine: line };
      }
    }
    return { size, completeLength: completeLength ?? 0, lastLine: undefined };
  } finally {
    await handle.close();
  }
}
