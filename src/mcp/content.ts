/** Turning bytes from GitHub into what a model may see: UTF-8 text capped at a byte limit, or a description. */

/** Reads at most `max` bytes of a body stream, then cancels it; `truncated` says more was there. */
export async function readAtMost(
  stream: ReadableStream<Uint8Array> | null | undefined,
  max: number,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (!stream) return { bytes: new Uint8Array(0), truncated: false };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  let truncated = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (length + value.byteLength > max) {
        chunks.push(value.subarray(0, max - length));
        length = max;
        truncated = true;
        break;
      }
      chunks.push(value);
      length += value.byteLength;
    }
  } finally {
    // Stop the download: the rest of a large file is never wanted.
    if (truncated) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { bytes, truncated };
}

/** Decodes GitHub's line-wrapped base64 `content`. */
export function decodeBase64Content(content: string): Uint8Array {
  return new Uint8Array(Buffer.from(content.replace(/\s+/g, ""), "base64"));
}

const MAGIC: Array<{ type: string; bytes: number[]; offset?: number }> = [
  { type: "PNG image", bytes: [0x89, 0x50, 0x4e, 0x47] },
  { type: "JPEG image", bytes: [0xff, 0xd8, 0xff] },
  { type: "GIF image", bytes: [0x47, 0x49, 0x46, 0x38] },
  { type: "WebP image", bytes: [0x57, 0x45, 0x42, 0x50], offset: 8 },
  { type: "PDF document", bytes: [0x25, 0x50, 0x44, 0x46] },
  { type: "ZIP archive (or a format built on it: jar, docx, xlsx)", bytes: [0x50, 0x4b, 0x03, 0x04] },
  { type: "gzip archive", bytes: [0x1f, 0x8b] },
  { type: "ELF executable", bytes: [0x7f, 0x45, 0x4c, 0x46] },
  { type: "WOFF2 font", bytes: [0x77, 0x4f, 0x46, 0x32] },
  { type: "WOFF font", bytes: [0x77, 0x4f, 0x46, 0x46] },
  { type: "WebAssembly module", bytes: [0x00, 0x61, 0x73, 0x6d] },
  { type: "SQLite database", bytes: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65] },
];

/** A short guess at what binary bytes are, from their leading magic number. */
export function describeBinaryType(bytes: Uint8Array): string {
  for (const magic of MAGIC) {
    const start = magic.offset ?? 0;
    if (magic.bytes.every((b, i) => bytes[start + i] === b)) return magic.type;
  }
  return "binary data of unknown type";
}

/** What the bytes of a file turned out to be. */
export type DecodedContent =
  | { kind: "text"; text: string; returnedBytes: number; truncated: boolean }
  | { kind: "binary"; type: string };

/**
 * Decides text or binary (a NUL byte in the first 8000 bytes, as git does, or invalid UTF-8) and caps
 * text at `max` bytes. `moreUpstream` marks bytes that were already cut before they got here.
 */
export function decodeContent(bytes: Uint8Array, max: number, moreUpstream = false): DecodedContent {
  if (bytes.subarray(0, 8000).includes(0)) return { kind: "binary", type: describeBinaryType(bytes) };
  const cut = Math.min(bytes.byteLength, max);
  const end = cut < bytes.byteLength || moreUpstream ? trimIncomplete(bytes, cut) : cut;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, end));
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return { kind: "binary", type: `${describeBinaryType(bytes)} (not valid UTF-8)` };
  }
  return { kind: "text", text, returnedBytes: end, truncated: moreUpstream || end < bytes.byteLength };
}

/** `text` cut to at most `maxBytes` UTF-8 bytes, never in the middle of a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.byteLength <= maxBytes) return text;
  const end = trimIncomplete(bytes, Math.max(0, maxBytes));
  return bytes.subarray(0, end).toString("utf8");
}

// A cut at `end` may leave a lead byte whose continuation bytes were cut off; drop that partial character.
function trimIncomplete(bytes: Uint8Array, end: number): number {
  for (let i = end - 1; i >= 0 && i >= end - 4; i--) {
    const b = bytes[i] ?? 0;
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return end - i >= need ? end : i;
  }
  return end;
}
