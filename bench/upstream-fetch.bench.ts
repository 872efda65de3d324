/**
 * The broker's GitHub HTTP client: Node's fetch (with the per-request timeout signal and a bounded body read,
 * as the broker used it) against createPooledFetch (one undici keep-alive pool, body read into memory), both
 * sending octokit-shaped requests to a bare Hono JSON server in its own process. Prints CPU and wall time per
 * request in this process, alternating rounds; run it on each Node version that matters (24 in production).
 *
 *   npx tsx bench/upstream-fetch.bench.ts [--requests 3000] [--rounds 6]
 */
import { parseArgs } from "node:util";
import { createPooledFetch } from "../src/github/pooled-fetch.ts";
import { startBenchProcess } from "./overhead/processes.ts";
import { median } from "./overhead/stats.ts";

const { values } = parseArgs({
  options: { requests: { type: "string", default: "3000" }, rounds: { type: "string", default: "6" } },
});
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);
const MAX_BYTES = 64 * 1024 * 1024;

/** The broker's client before: fetch, AbortSignal.timeout, the body read through its web stream with a cap. */
const nodeFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, { ...init, signal: AbortSignal.timeout(30_000) });
  if (response.body === null) return response;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let seen = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    seen += value.byteLength;
    if (seen > MAX_BYTES) throw new Error("too large");
    chunks.push(value);
  }
  return new Response(Buffer.concat(chunks), { status: response.status, headers: response.headers });
};
const pooled = createPooledFetch({ timeoutMs: 30_000, maxResponseBytes: MAX_BYTES });

const server = await startBenchProcess("bare-hono", "bare-hono.ts", {});
const url = server.info.url as string;
const headers = {
  accept: "application/vnd.github.v3+json",
  "user-agent": "repogate",
  "content-type": "application/json",
};
const once = async (client: typeof fetch) => {
  const response = await client(url, { method: "POST", headers, body: '{"repositories":["web"]}' });
  if (response.status !== 200 || !(await response.text()).includes('"ok":true'))
    throw new Error("bad answer");
};

const results = new Map<string, { cpuMicros: number; wallMs: number[]; requests: number }>();
const clients: [string, typeof fetch][] = [
  ["node fetch + stream read", nodeFetch],
  ["undici pool (createPooledFetch)", pooled],
];
for (const [, client] of clients) for (let i = 0; i < 300; i++) await once(client);
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, client] of round % 2 === 0 ? clients : [...clients].reverse()) {
    const n = Math.floor(REQUESTS / ROUNDS);
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < n; i++) await once(client);
    const wall = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const entry = results.get(name) ?? { cpuMicros: 0, wallMs: [], requests: 0 };
    entry.cpuMicros += used.user + used.system;
    entry.wallMs.push(wall / n);
    entry.requests += n;
    results.set(name, entry);
  }
}
await server.stop();

console.log(`Node ${process.version}, ${REQUESTS} POSTs per client, ${ROUNDS} alternating rounds`);
console.log("client                              CPU µs/request   wall ms/request (median round)");
for (const [name, r] of results) {
  console.log(
    `${name.padEnd(36)}${(r.cpuMicros / r.requests).toFixed(0).padStart(14)}   ${median(r.wallMs).toFixed(3).padStart(10)}`,
  );
}
const perRequest = [...results.values()].map((r) => r.cpuMicros / r.requests);
console.log(`undici pool / node fetch CPU: ${((perRequest[1] ?? 0) / (perRequest[0] ?? 1)).toFixed(2)}x`);
