import { createHash } from "node:crypto";
import type { SeedFileContent } from "./seed-schema.ts";

/** A file as the seed history tracks it between commits. */
export interface SeedFile {
  mode: "100644" | "100755" | "120000" | "160000";
  /** File bytes; the link target for symlinks; the commit sha (ASCII) for submodules. */
  data: Buffer;
}

const WORDS = [
  "request",
  "token",
  "policy",
  "branch",
  "commit",
  "gateway",
  "audit",
  "latency",
  "cache",
  "replica",
  "install",
  "session",
  "review",
  "deploy",
  "metric",
  "header",
  "payload",
  "scope",
  "refresh",
  "signal",
  "timeout",
  "retry",
  "buffer",
  "stream",
  "cursor",
  "shard",
  "ledger",
  "vector",
  "render",
  "module",
];

/** Deterministic bytes: SHA-256 in counter mode over the seed string. */
function pseudoRandomBytes(seed: string, length: number): Buffer {
  const blocks: Buffer[] = [];
  let produced = 0;
  for (let counter = 0; produced < length; counter++) {
    const block = createHash("sha256").update(`${seed}\0${counter}`).digest();
    blocks.push(block);
    produced += block.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** Deterministic printable text of exactly `bytes` bytes (numbered lines of words, newline-terminated). */
export function generateText(seed: string, bytes: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let line = 1; size < bytes; line++) {
    const digest = createHash("sha256").update(`${seed}\0${line}`).digest();
    const words: string[] = [];
    for (let i = 0; i < 8; i++) words.push(WORDS[(digest[i] ?? 0) % WORDS.length] ?? "word");
    const text = `${String(line).padStart(7, "0")} ${seed} ${words.join(" ")}\n`;
    lines.push(text);
    size += Buffer.byteLength(text);
  }
  const all = Buffer.from(lines.join(""), "utf8");
  const out = all.subarray(0, bytes);
  if (out.length > 0) out[out.length - 1] = 0x0a;
  return out;
}

/** Deterministic binary bytes; byte 7 is forced to NUL so git always classifies the file as binary. */
export function generateBinary(seed: string, bytes: number): Buffer {
  const out = Buffer.from(pseudoRandomBytes(seed, bytes));
  if (out.length > 7) out[7] = 0;
  return out;
}

/** Replaces `{n}` with the iteration number and `{nnn}` with it zero-padded to three digits. */
export function expandTemplate(text: string, n: number | undefined): string {
  if (n === undefined) return text;
  return text.replaceAll("{nnn}", String(n).padStart(3, "0")).replaceAll("{n}", String(n));
}

/** Turns a seed content spec into the file's new state, given its previous state (for `append`). */
export function materialize(
  spec: SeedFileContent,
  previous: SeedFile | undefined,
  n: number | undefined,
): SeedFile {
  if (typeof spec === "string") return { mode: "100644", data: Buffer.from(expandTemplate(spec, n), "utf8") };
  if ("text" in spec) {
    return {
      mode: spec.executable ? "100755" : "100644",
      data: Buffer.from(expandTemplate(spec.text, n), "utf8"),
    };
  }
  if ("base64" in spec)
    return { mode: "100644", data: Buffer.from(spec.base64.replace(/\s+/g, ""), "base64") };
  if ("generate" in spec) {
    const g = spec.generate;
    if ("bytes" in g) return { mode: "100644", data: generateText(expandTemplate(g.seed, n), g.bytes) };
    return { mode: "100644", data: generateBinary(expandTemplate(g.seed ?? "binary", n), g.binary) };
  }
  if ("append" in spec) {
    const addition = Buffer.from(expandTemplate(spec.append, n), "utf8");
    const base = previous && previous.mode !== "160000" && previous.mode !== "120000" ? previous : undefined;
    return { mode: base?.mode ?? "100644", data: base ? Buffer.concat([base.data, addition]) : addition };
  }
  if ("symlink" in spec)
    return { mode: "120000", data: Buffer.from(expandTemplate(spec.symlink, n), "utf8") };
  return { mode: "160000", data: Buffer.from(spec.submodule, "ascii") };
}
