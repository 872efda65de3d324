/**
 * Runs the GitHub emulator on its own:
 *   npx tsx wrangler-free-local/github/main.ts [--port 8701] [--host 127.0.0.1] [--data-dir .repogate] [--seed-dir DIR]
 *     [--upstream-latency-ms N]   delay every answer by N ms, like a real network (benchmarks)
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { startGitHubEmulator } from "./index.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8701" },
    host: { type: "string", default: "127.0.0.1" },
    "data-dir": { type: "string", default: ".repogate" },
    "seed-dir": { type: "string" },
    "upstream-latency-ms": { type: "string", default: "0" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  console.log(
    "Usage: npx tsx wrangler-free-local/github/main.ts [--port 8701] [--host 127.0.0.1] [--data-dir .repogate] [--seed-dir DIR] [--upstream-latency-ms N]",
  );
  process.exit(0);
}

const port = Number.parseInt(values.port, 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be 0-65535, got ${values.port}`);
  process.exit(2);
}

const upstreamLatencyMs = Number.parseInt(values["upstream-latency-ms"], 10);
if (!Number.isInteger(upstreamLatencyMs) || upstreamLatencyMs < 0 || upstreamLatencyMs > 120_000) {
  console.error(`--upstream-latency-ms must be 0-120000, got ${values["upstream-latency-ms"]}`);
  process.exit(2);
}

const emulator = await startGitHubEmulator({
  host: values.host,
  port,
  dataDir: resolve(values["data-dir"]),
  seedDir: values["seed-dir"] ? resolve(values["seed-dir"]) : undefined,
});
// A latency fault without count or path applies to every request until cleared (DELETE /_emulator/faults).
if (upstreamLatencyMs > 0) emulator.faults.add({ kind: "latency", latencyMs: upstreamLatencyMs });
console.log(`GitHub emulator listening on ${emulator.url}`);
if (upstreamLatencyMs > 0) console.log(`  Every answer delayed by ${upstreamLatencyMs} ms`);
console.log(`  App id ${emulator.app.id}, client id ${emulator.app.clientId}, slug ${emulator.app.slug}`);
console.log(`  App private key: ${emulator.app.privateKeyPath}`);
console.log(`  Control API: ${emulator.url}/_emulator/requests`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping GitHub emulator`);
  try {
    await emulator.close();
    process.exit(0);
  } catch (err) {
    console.error("GitHub emulator did not stop cleanly:", err);
    process.exit(1);
  }
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
