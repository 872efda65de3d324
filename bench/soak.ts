/**
 * `npm run soak`: the fault-injection soak of issue 9 §6 (bench/soak/run-soak.ts). Prints one table and exits 1
 * if a figure is wrong.
 *
 *   npx tsx bench/soak.ts [--calls 10000] [--clients 32] [--think-ms 1000] [--outage-ms 8000] [--keep]
 */
import { parseArgs } from "node:util";
import { DEFAULT_SOAK_OPTIONS, runSoak } from "./soak/run-soak.ts";
import { formatSoakTable, soakProblems } from "./soak/soak-figures.ts";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: String(DEFAULT_SOAK_OPTIONS.calls) },
    clients: { type: "string", default: String(DEFAULT_SOAK_OPTIONS.clients) },
    "think-ms": { type: "string", default: String(DEFAULT_SOAK_OPTIONS.thinkMs) },
    "outage-ms": { type: "string", default: String(DEFAULT_SOAK_OPTIONS.outageMs) },
    keep: { type: "boolean", default: false },
  },
});

const figures = await runSoak({
  ...DEFAULT_SOAK_OPTIONS,
  calls: Number(values.calls),
  clients: Number(values.clients),
  thinkMs: Number(values["think-ms"]),
  outageMs: Number(values["outage-ms"]),
  keepDataDir: values.keep,
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${formatSoakTable(figures)}\n`);
const problems = soakProblems(figures);
if (values.keep) process.stdout.write(`\ndata directory kept: ${figures.dataDir}\n`);
if (problems.length > 0) {
  process.stdout.write(`\nFAILED (${problems.length}):\n${problems.map((p) => `- ${p}`).join("\n")}\n`);
  process.exit(1);
}
process.stdout.write("\nOK: every figure as required\n");
