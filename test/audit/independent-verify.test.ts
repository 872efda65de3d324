/**
 * The documented hash definition, checked without the project's own `canonicalJson`: one known event pinned
 * to a hash computed once by Python's `json.dumps(sort_keys=True)`, and the verifiers docs/audit.md prints
 * (Node and Python, taken from the doc itself) run against a trail freshly written by the JSONL sink.
 * `repogate audit verify` uses the same canonicalJson as the writer, so it cannot see the definition drift.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.ts";
import { canonicalJson, chainEvent, computeEventHash, GENESIS_HASH } from "../../src/audit/chain.ts";
import { type AuditEvent, parseStoredEvent } from "../../src/audit/event.ts";
import { listJsonlFiles } from "../../src/audit/jsonl-files.ts";
import { JsonlAuditSink } from "../../src/audit/jsonl-sink.ts";
import { tempDir, toolCall } from "./helpers.ts";

/** Members in an order that is not sorted at any level, so an unsorted canonical form hashes differently. */
const KNOWN_EVENT: AuditEvent = {
  type: "token.grant",
  time: "2026-01-02T03:04:05.678Z",
  id: "01JGZ0000000000000000000AB",
  principal: { via: "oidc", sub: "sub-alice", groups: ["eng", "sec"], email: "alice@mycompany.example" },
  request: { tool: "get_file_contents", ip: "203.0.113.7", id: "req-1", userAgent: "Claude-User/1.0 (ü)" },
  resource: { repo: "mycompany/web", ref: "main", path: "src/index.ts" },
  operation: "read",
  token: {
    repositories: ["mycompany/web"],
    permissions: { metadata: "read", contents: "read" },
    installationId: 2001,
    fingerprint: "0123456789abcdef",
    expiresAt: "2026-01-02T04:04:05Z",
  },
  outcome: "ok",
  latencyMs: 12.5,
  details: { zeta: 1, alpha: null, Mid: true },
};

/** `json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` of KNOWN_EVENT with the genesis prevHash. */
const KNOWN_CANONICAL =
  '{"details":{"Mid":true,"alpha":null,"zeta":1},"id":"01JGZ0000000000000000000AB","latencyMs":12.5,"operation":"read","outcome":"ok","prevHash":"0000000000000000000000000000000000000000000000000000000000000000","principal":{"email":"alice@mycompany.example","groups":["eng","sec"],"sub":"sub-alice","via":"oidc"},"request":{"id":"req-1","ip":"203.0.113.7","tool":"get_file_contents","userAgent":"Claude-User/1.0 (ü)"},"resource":{"path":"src/index.ts","ref":"main","repo":"mycompany/web"},"time":"2026-01-02T03:04:05.678Z","token":{"expiresAt":"2026-01-02T04:04:05Z","fingerprint":"0123456789abcdef","installationId":2001,"permissions":{"contents":"read","metadata":"read"},"repositories":["mycompany/web"]},"type":"token.grant"}';
/** hashlib.sha256((KNOWN_CANONICAL + prevHash).encode()).hexdigest(), computed once with Python 3. */
const KNOWN_HASH = "cec7faadbba31042098a7eacd15bd3e0a46179f16af0f49e6d94063f4dd376e5";

/** The fenced block of docs/audit.md that starts with `firstLine`. */
function docBlock(firstLine: string): string {
  const doc = readFileSync(join(import.meta.dirname, "../../docs/audit.md"), "utf8");
  const start = doc.indexOf(`\n${firstLine}\n`);
  if (start < 0) throw new Error(`docs/audit.md has no code block starting with ${firstLine}`);
  const end = doc.indexOf("\n```", start + 1);
  return doc.slice(start + 1, end + 1);
}

function hasPython(): boolean {
  try {
    execFileSync("python3", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const python = hasPython();
if (!python && process.env.CI)
  throw new Error("python3 is required in CI for the documented Python verifier");

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A trail written by the real sink (rotated into several files), the doc's scripts beside it. */
async function freshTrail(): Promise<{ dir: string; files: string[]; lastHash: string; count: number }> {
  const { dir, cleanup } = await tempDir("independent");
  cleanups.push(cleanup);
  const sink = new JsonlAuditSink({ dir, prefix: "audit", maxFileBytes: 4096 });
  const log = await AuditLog.open({ sink });
  const { id: _id, time: _time, ...knownInput } = KNOWN_EVENT;
  const count = 24;
  for (let i = 0; i < count - 1; i++) await log.record(toolCall(i));
  await log.record(knownInput);
  await log.close();
  const files = (await listJsonlFiles({ dir, prefix: "audit" })).map((f) => f.path);
  const lines = (await readFile(files.at(-1) as string, "utf8")).trim().split("\n");
  const lastHash = (JSON.parse(lines.at(-1) as string) as { hash: string }).hash;
  await writeFile(
    join(dir, "verify.mjs"),
    docBlock("// verify.mjs — usage: node verify.mjs audit-*.jsonl   (files in rotation order)"),
  );
  await writeFile(
    join(dir, "verify.py"),
    docBlock("# verify.py — usage: python3 verify.py audit-*.jsonl   (files in rotation order)"),
  );
  return { dir, files, lastHash, count };
}

/** Runs a documented verifier; its verdict is on stdout (Node) or stdout/stderr (Python's sys.exit). */
function run(command: string, script: string, files: string[]) {
  const result = spawnSync(command, [script, ...files], { encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

/** Changes one member of the first event of the first file, keeping the line valid JSON. */
async function editFirstEvent(file: string): Promise<void> {
  const lines = (await readFile(file, "utf8")).trim().split("\n");
  const event = JSON.parse(lines[0] as string) as { resource: { path: string } };
  event.resource.path = "src/other.ts";
  lines[0] = JSON.stringify(event);
  await writeFile(file, `${lines.join("\n")}\n`);
}

describe("the documented hash definition, independently", () => {
  it("pins a known event: its canonical form and hash are the ones Python's json.dumps gives", () => {
    expect(parseStoredEvent(KNOWN_EVENT)).toMatchObject({ ok: true });
    expect(canonicalJson({ ...KNOWN_EVENT, prevHash: GENESIS_HASH })).toBe(KNOWN_CANONICAL);
    expect(computeEventHash({ ...KNOWN_EVENT, prevHash: GENESIS_HASH })).toBe(KNOWN_HASH);
    expect(chainEvent(KNOWN_EVENT, GENESIS_HASH).hash).toBe(KNOWN_HASH);
  });

  it("the Node verifier printed in docs/audit.md accepts a fresh trail, and catches an edit", async () => {
    const { dir, files, lastHash, count } = await freshTrail();
    expect(files.length).toBeGreaterThan(1);
    const ok = run(process.execPath, join(dir, "verify.mjs"), files);
    expect(ok).toEqual({ status: 0, output: `OK: ${count} events, last hash ${lastHash}` });
    await editFirstEvent(files[0] as string);
    expect(run(process.execPath, join(dir, "verify.mjs"), files)).toEqual({
      status: 1,
      output: `BROKEN at ${files[0]}:1`,
    });
  });

  it.skipIf(!python)(
    "the Python verifier printed in docs/audit.md accepts a fresh trail, and catches an edit",
    async () => {
      const { dir, files, lastHash, count } = await freshTrail();
      const ok = run("python3", join(dir, "verify.py"), files);
      expect(ok).toEqual({ status: 0, output: `OK: ${count} events, last hash ${lastHash}` });
      await editFirstEvent(files[0] as string);
      expect(run("python3", join(dir, "verify.py"), files)).toEqual({
        status: 1,
        output: `BROKEN at ${files[0]}:1`,
      });
    },
  );
});
