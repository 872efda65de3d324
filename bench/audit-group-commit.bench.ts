/**
 * Group commit in the JSONL audit trail: N events recorded by 64 concurrent writers (each awaiting its own
 * record, as concurrent tool calls do) versus the same N recorded one at a time, each awaited before the next.
 * Every `record` resolves only once its event is fsync'd, so the second strategy pays one fsync per event.
 *
 *   npx tsx bench/audit-group-commit.bench.ts [--events 5000] [--writers 64]
 *
 * Prints events/s and fsync batches per strategy and the speed-up ratio. Afterwards each trail is checked with
 * verifyJsonlFiles (hash chain intact from genesis) and every recorded event id must be stored exactly once;
 * exits 1 otherwise.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  type AuditEventInput,
  AuditLog,
  JsonlAuditSink,
  listJsonlFiles,
  verifyJsonlFiles,
} from "../src/audit/index.ts";
import { readJsonlEvents } from "../src/audit/records.ts";

const { values } = parseArgs({
  options: { events: { type: "string", default: "5000" }, writers: { type: "string", default: "64" } },
});
const EVENTS = Number(values.events);
const WRITERS = Number(values.writers);
const PREFIX = "audit";

/** A typical tool.call event (the broker records one per tool call, plus a grant and a revoke). */
function toolCall(n: number): AuditEventInput {
  return {
    type: "tool.call",
    principal: { sub: "sub-alice", email: "alice@mycompany.example", groups: ["eng"], via: "oidc" },
    request: { id: `req-${n}`, ip: "127.0.0.1", tool: "get_file_contents" },
    resource: { repo: "mycompany/web", path: `src/file-${n}.ts` },
    operation: "read",
    outcome: "ok",
    latencyMs: n % 50,
  };
}

interface Row {
  strategy: string;
  ms: number;
  batches: number;
  fsyncs: number;
  problems: string[];
}

/** Records EVENTS events with `writers` concurrent awaiting writers into a fresh trail, then verifies it. */
async function measure(strategy: string, writers: number): Promise<Row> {
  const dir = await mkdtemp(join(tmpdir(), "repogate-bench-audit-"));
  try {
    const sink = new JsonlAuditSink({ dir, prefix: PREFIX });
    const log = await AuditLog.open({ sink, onFailure: "deny" });
    const ids: string[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async () => {
        while (next < EVENTS) {
          const n = next++;
          ids.push((await log.record(toolCall(n))).id);
        }
      }),
    );
    const ms = performance.now() - started;
    const { batches } = log.status();
    await log.close();
    const { fsyncs } = sink.stats();

    const problems: string[] = [];
    const files = await listJsonlFiles({ dir, prefix: PREFIX });
    const verified = await verifyJsonlFiles(files, { requireGenesis: true });
    if (!verified.ok) problems.push(`chain broken: ${verified.problem?.message ?? "unknown problem"}`);
    if (verified.events !== EVENTS)
      problems.push(`chain holds ${verified.events} events, expected ${EVENTS}`);
    const stored = new Map<string, number>();
    for await (const event of readJsonlEvents(files)) stored.set(event.id, (stored.get(event.id) ?? 0) + 1);
    const missing = ids.filter((id) => stored.get(id) !== 1).length;
    if (ids.length !== EVENTS) problems.push(`${ids.length} records resolved, expected ${EVENTS}`);
    if (missing > 0) problems.push(`${missing} recorded events are missing or stored more than once`);
    if (stored.size !== EVENTS) problems.push(`${stored.size} distinct events stored, expected ${EVENTS}`);
    return { strategy, ms, batches, fsyncs, problems };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const rows = [await measure(`${WRITERS} concurrent writers`, WRITERS), await measure("one at a time", 1)];

console.log(`JSONL audit sink (hash chain, fsync per batch), ${EVENTS} tool.call events, onFailure: deny\n`);
console.log("strategy                 total ms    events/s   fsync batches   events/batch");
for (const row of rows) {
  console.log(
    `${row.strategy.padEnd(22)} ${row.ms.toFixed(0).padStart(10)} ${((EVENTS / row.ms) * 1000).toFixed(0).padStart(11)} ` +
      `${String(row.batches).padStart(15)} ${(EVENTS / row.batches).toFixed(1).padStart(14)}`,
  );
}
const [grouped, single] = rows as [Row, Row];
console.log(
  `\ngroup commit: ${(single.ms / grouped.ms).toFixed(1)}x the events/s of one-at-a-time, ` +
    `with ${(single.batches / grouped.batches).toFixed(1)}x fewer fsyncs (${grouped.batches} vs ${single.batches})`,
);

let failed = false;
for (const row of rows) {
  if (row.fsyncs !== row.batches) row.problems.push(`${row.fsyncs} fsyncs for ${row.batches} batches`);
  for (const problem of row.problems) {
    console.error(`FAIL (${row.strategy}): ${problem}`);
    failed = true;
  }
  if (row.problems.length === 0) console.log(`${row.strategy}: chain intact, all ${EVENTS} events present`);
}
if (failed) process.exitCode = 1;
