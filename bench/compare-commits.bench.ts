/**
 * One allowed tool call, this checkout against another commit, in the same run: on a noisy machine two runs of
 * the overhead bench differ more than most changes do, so a change is judged by two brokers measured side by
 * side, in alternating rounds, against the same upstreams.
 *
 *   npx tsx bench/compare-commits.bench.ts --baseline <git ref> [--rounds 16] [--per-round 150] [--warm-up 400]
 *   npx tsx bench/compare-commits.bench.ts --baseline <git ref> --connections 64 [--rounds 6] [--seconds 5]
 *
 * The baseline is checked out into a temporary git worktree that borrows this checkout's node_modules; its broker
 * is bundled and started by its own bench/overhead/processes.ts (so it must have one), this checkout's by this
 * one. Both run on this Node binary, without a memory limit, against one set of emulators. At concurrency 1
 * (the default) each round is `--per-round` sequential calls and the script prints p25/p50/p95 latency and CPU
 * per call; with `--connections` each round is `--seconds` of autocannon load and it prints calls/s and CPU per
 * call. This checkout's figures are also given as ratios of the baseline's. Exits 1 when a call fails.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { freePort } from "../test/support/ports.ts";
import { devLogin } from "../wrangler-free-local/idp/dev-login-client.ts";
import { LOCAL_MCP_SCOPE } from "../wrangler-free-local/stack.ts";
import { brokerOptions as brokerOptionsFor, type Upstreams } from "./overhead/broker-options.ts";
import { EXPECTED_HEADING, MCP_HEADERS, READ_ARGS, toolCall, toolResultHas } from "./overhead/mcp-call.ts";
import { type BenchProcess, startBenchProcess } from "./overhead/processes.ts";
import { percentile } from "./overhead/stats.ts";

const { values } = parseArgs({
  options: {
    baseline: { type: "string" },
    rounds: { type: "string", default: "16" },
    "per-round": { type: "string", default: "150" },
    "warm-up": { type: "string", default: "400" },
    connections: { type: "string", default: "1" },
    seconds: { type: "string", default: "5" },
  },
});
if (!values.baseline)
  throw new Error("--baseline <git ref> is required: the commit to compare this checkout with");
const ROUNDS = Number(values.rounds);
const PER_ROUND = Number(values["per-round"]);
const WARM_UP = Number(values["warm-up"]);
const CONNECTIONS = Number(values.connections);
const SECONDS = Number(values.seconds);
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const HOST = "127.0.0.1";

const git = (...args: string[]) => execFileSync("git", ["-C", ROOT, ...args], { encoding: "utf8" }).trim();
const baselineCommit = git("rev-parse", "--short", values.baseline);
const worktree = await mkdtemp(join(tmpdir(), "repogate-baseline-"));
const dataDir = await mkdtemp(join(tmpdir(), "repogate-compare-"));
const processes: BenchProcess[] = [];
let failed = false;
try {
  git("worktree", "add", "--detach", "--force", worktree, values.baseline);
  // The baseline's own node_modules directory (its bundles are cached there) whose entries are this checkout's.
  await mkdir(join(worktree, "node_modules"));
  for (const entry of await readdir(join(ROOT, "node_modules"))) {
    if (entry !== ".cache")
      await symlink(join(ROOT, "node_modules", entry), join(worktree, "node_modules", entry));
  }
  const baselineProcesses = (await import(
    pathToFileURL(join(worktree, "bench/overhead/processes.ts")).href
  )) as { startBenchProcess: typeof startBenchProcess };

  const ports = [await freePort(), await freePort()];
  const mcpUrls = ports.map((port) => `http://${HOST}:${port}/mcp`);
  const emulators = await startBenchProcess("emulators", "emulators.ts", { dataDir, resourceUrls: mcpUrls });
  processes.push(emulators);
  const up = emulators.info as unknown as Upstreams;
  const brokerOptions = (port: number) => ({ ...brokerOptionsFor(up, dataDir), port, tokenReuse: false });
  const brokers = [
    await baselineProcesses.startBenchProcess("baseline", "broker.ts", brokerOptions(ports[0] as number), {
      bundled: true,
    }),
    await startBenchProcess("this checkout", "broker.ts", brokerOptions(ports[1] as number), {
      bundled: true,
    }),
  ];
  processes.push(...brokers);
  const tokens = await Promise.all(
    mcpUrls.map(
      async (resource) =>
        (
          await devLogin({
            issuer: up.issuer,
            user: "alice@mycompany.example",
            resource,
            scope: `openid ${LOCAL_MCP_SCOPE}`,
          })
        ).access_token,
    ),
  );
  const headers = (i: number) => ({ ...MCP_HEADERS, authorization: `Bearer ${tokens[i]}` });
  const body = (id: number) => toolCall(id, "get_file_contents", READ_ARGS);
  const answered = (status: number, text: string) => status === 200 && toolResultHas(text, EXPECTED_HEADING);
  let rpcId = 0;
  const call = async (i: number) => {
    const res = await fetch(mcpUrls[i] as string, {
      method: "POST",
      headers: headers(i),
      body: body(++rpcId),
    });
    const text = await res.text();
    if (!answered(res.status, text))
      throw new Error(`${brokers[i]?.name}: HTTP ${res.status} ${text.slice(0, 200)}`);
  };
  /** One round of load: calls answered and the seconds it took. */
  const load = async (i: number) => {
    let ok = 0;
    let bad = 0;
    const run = await autocannon({
      url: mcpUrls[i] as string,
      connections: CONNECTIONS,
      duration: SECONDS,
      requests: [
        {
          method: "POST",
          headers: headers(i),
          body: body(1),
          onResponse: (status, text) => {
            if (answered(status, text)) ok++;
            else bad++;
          },
        },
      ],
    });
    if (bad > 0 || run.errors + run.timeouts > 0)
      throw new Error(
        `${brokers[i]?.name}: ${bad} bad answers, ${run.errors + run.timeouts} errors under load`,
      );
    return { ok, seconds: run.duration };
  };
  for (let k = 0; k < WARM_UP; k++) {
    await call(0);
    await call(1);
  }
  if (CONNECTIONS > 1) {
    await load(0);
    await load(1);
  }
  const latencies: number[][] = [[], []];
  const answers = [0, 0];
  const seconds = [0, 0];
  const cpuMicros = [0, 0];
  for (let round = 0; round < ROUNDS; round++) {
    for (const i of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const broker = brokers[i] as BenchProcess;
      const before = await broker.usage();
      if (CONNECTIONS > 1) {
        const run = await load(i);
        answers[i] = (answers[i] as number) + run.ok;
        seconds[i] = (seconds[i] as number) + run.seconds;
      } else {
        for (let k = 0; k < PER_ROUND; k++) {
          const started = performance.now();
          await call(i);
          latencies[i]?.push(performance.now() - started);
        }
        answers[i] = (answers[i] as number) + PER_ROUND;
      }
      cpuMicros[i] = (cpuMicros[i] as number) + (await broker.usage()).cpuMicros - before.cpuMicros;
    }
  }
  const figures = [0, 1].map((i) => {
    const sorted = [...(latencies[i] as number[])].sort((a, b) => a - b);
    return {
      p25: percentile(sorted, 25),
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      callsPerSecond: (answers[i] as number) / (seconds[i] as number),
      cpu: (cpuMicros[i] as number) / 1000 / (answers[i] as number),
    };
  });
  const [base, head] = figures as [(typeof figures)[0], (typeof figures)[0]];
  const labels = [`baseline ${baselineCommit}`, "this checkout"];
  if (CONNECTIONS > 1) {
    console.log(
      `get_file_contents at ${CONNECTIONS} connections, Node ${process.version}, ${ROUNDS} alternating rounds of ${SECONDS} s each`,
    );
    console.log("                          calls/s   CPU ms/call");
    for (const [i, f] of [base, head].entries())
      console.log(
        `   ${labels[i]?.padEnd(22)} ${f.callsPerSecond.toFixed(0).padStart(7)}   ${f.cpu.toFixed(3).padStart(11)}`,
      );
    console.log(
      `   this checkout / baseline: calls/s ${(head.callsPerSecond / base.callsPerSecond).toFixed(3)}, CPU per call ${(head.cpu / base.cpu).toFixed(3)}`,
    );
  } else {
    console.log(
      `get_file_contents at concurrency 1, Node ${process.version}, ${ROUNDS} alternating rounds of ${PER_ROUND} calls each`,
    );
    console.log("                          p25 ms   p50 ms   p95 ms   CPU ms/call");
    for (const [i, f] of [base, head].entries())
      console.log(
        `   ${labels[i]?.padEnd(22)} ${f.p25.toFixed(2).padStart(6)}   ${f.p50.toFixed(2).padStart(6)}   ${f.p95.toFixed(2).padStart(6)}   ${f.cpu.toFixed(3).padStart(11)}`,
      );
    console.log(
      `   this checkout / baseline: p50 ${(head.p50 / base.p50).toFixed(3)}, CPU per call ${(head.cpu / base.cpu).toFixed(3)}`,
    );
  }
} catch (error) {
  failed = true;
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
} finally {
  await Promise.allSettled(processes.reverse().map((p) => p.stop()));
  await rm(dataDir, { recursive: true, force: true });
  try {
    git("worktree", "remove", "--force", worktree);
  } catch {
    await rm(worktree, { recursive: true, force: true });
    git("worktree", "prune");
  }
}
if (failed) process.exitCode = 1;
