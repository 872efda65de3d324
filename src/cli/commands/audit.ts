import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Writable } from "node:stream";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { type Command, type CommanderError, Option } from "commander";
import type { AuditEvent } from "../../audit/event.ts";
import { csvHeader, eventToCsv, eventToJsonl } from "../../audit/export.ts";
import { listJsonlFiles } from "../../audit/jsonl-files.ts";
import {
  type AuditQuery,
  formatTable,
  InvalidTimeBoundError,
  parseTimeBound,
  queryEvents,
} from "../../audit/query.ts";
import { readJsonlEvents } from "../../audit/records.ts";
import { type VerifyResult, verifyJsonlFiles } from "../../audit/verify.ts";
import { queryCloudWatchEvents, verifyCloudWatchTrail } from "../../aws/cloudwatch-audit-source.ts";
import { isLoopbackUrl } from "../../http/loopback.ts";

const EXIT_OK = 0;
const EXIT_BROKEN = 1;
const EXIT_BAD_INPUT = 2;
const DEFAULT_DIR = ".repogate/audit";

interface SourceOptions {
  file?: string;
  dir?: string;
  prefix: string;
  cloudwatch?: boolean;
  logGroup?: string;
  logStream?: string[];
  region?: string;
  endpoint?: string;
}

interface QueryOptions extends SourceOptions {
  since?: string;
  until?: string;
  user?: string;
  repo?: string;
  type?: string[];
  decision?: "allow" | "deny";
  limit?: string;
  json?: boolean;
}

interface ExportOptions extends QueryOptions {
  format: "jsonl" | "csv";
  out?: string;
}

/** Bad command-line input: printed as one line, exit code 2. */
class UsageError extends Error {
  readonly code = "AUDIT_USAGE";
}

function cloudWatchClient(options: SourceOptions): CloudWatchLogsClient {
  const local = isLoopbackUrl(options.endpoint);
  const hasCredentials = Boolean(process.env.AWS_ACCESS_KEY_ID) || Boolean(process.env.AWS_PROFILE);
  return new CloudWatchLogsClient({
    region: options.region ?? process.env.AWS_REGION ?? "us-east-1",
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    // The local AWS emulator accepts any signature; real AWS uses the default credential chain.
    ...(local && !hasCredentials
      ? { credentials: { accessKeyId: "repogate-local-emulator", secretAccessKey: "local" } }
      : {}),
  });
}

function cloudWatchSource(options: SourceOptions, client: CloudWatchLogsClient) {
  if (!options.logGroup) throw new UsageError("--cloudwatch needs --log-group <name>");
  return {
    client,
    logGroup: options.logGroup,
    ...(options.logStream && options.logStream.length > 0 ? { logStreamNames: options.logStream } : {}),
  };
}

/** The JSONL files to read: one `--file`, or every rotated file of `--dir` (default .repogate/audit). */
async function jsonlFiles(options: SourceOptions): Promise<{ path: string }[]> {
  if (options.file) {
    await stat(options.file).catch(() => {
      throw new UsageError(`audit file ${options.file} does not exist`);
    });
    return [{ path: options.file }];
  }
  const dir = options.dir ?? DEFAULT_DIR;
  const files = await listJsonlFiles({ dir, prefix: options.prefix });
  if (files.length === 0) {
    throw new UsageError(
      `no audit files ${options.prefix}-*.jsonl in ${dir} (use --dir, --prefix or --file)`,
    );
  }
  return files;
}

function buildQuery(options: QueryOptions, now = new Date()): AuditQuery {
  const limit = options.limit === undefined ? undefined : Number(options.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new UsageError("--limit must be a positive integer");
  }
  return {
    ...(options.since ? { since: parseTimeBound(options.since, now) } : {}),
    ...(options.until ? { until: parseTimeBound(options.until, now) } : {}),
    ...(options.user ? { user: options.user } : {}),
    ...(options.repo ? { repo: options.repo } : {}),
    ...(options.type ? { types: options.type.flatMap((t) => t.split(",")).filter(Boolean) } : {}),
    ...(options.decision ? { decision: options.decision } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
}

/** Events of the chosen source that match the query. */
async function* selectedEvents(options: QueryOptions, query: AuditQuery): AsyncGenerator<AuditEvent> {
  if (options.cloudwatch) {
    const client = cloudWatchClient(options);
    try {
      yield* queryEvents(queryCloudWatchEvents(cloudWatchSource(options, client), query), query);
    } finally {
      client.destroy();
    }
    return;
  }
  const files = await jsonlFiles(options);
  yield* queryEvents(readJsonlEvents(files), query);
}

async function write(stream: Writable, line: string): Promise<void> {
  if (!stream.write(`${line}\n`)) await once(stream, "drain");
}

/** `audit query`: matching events as a table, or one JSON object per line with --json. */
export async function runAuditQuery(options: QueryOptions, out: Writable = process.stdout): Promise<number> {
  const query = buildQuery(options);
  if (options.json) {
    for await (const event of selectedEvents(options, query)) await write(out, JSON.stringify(event));
    return EXIT_OK;
  }
  const events: AuditEvent[] = [];
  for await (const event of selectedEvents(options, query)) events.push(event);
  await write(out, events.length === 0 ? "no matching audit events" : formatTable(events));
  return EXIT_OK;
}

/** `audit export`: matching events as JSONL (chain fields kept) or CSV, to stdout or --out. */
export async function runAuditExport(
  options: ExportOptions,
  stdout: Writable = process.stdout,
): Promise<number> {
  const query = buildQuery(options);
  const out = options.out ? createWriteStream(options.out, { mode: 0o600 }) : stdout;
  let count = 0;
  try {
    if (options.format === "csv") await write(out, csvHeader());
    for await (const event of selectedEvents(options, query)) {
      await write(out, options.format === "csv" ? eventToCsv(event) : eventToJsonl(event));
      count += 1;
    }
  } finally {
    if (options.out) {
      out.end();
      await once(out, "close");
    }
  }
  if (options.out) process.stderr.write(`exported ${count} event(s) to ${options.out}\n`);
  return EXIT_OK;
}

function reportVerify(label: string, result: VerifyResult, json: boolean, out: (line: string) => void): void {
  if (json) {
    out(JSON.stringify({ source: label, ...result }));
    return;
  }
  if (result.ok) {
    const start =
      result.startHash === "0".repeat(64)
        ? ""
        : ` (starts after ${result.startHash}; earlier files not checked)`;
    const duplicates = result.duplicates > 0 ? `, ${result.duplicates} duplicate deliveries ignored` : "";
    out(
      `OK: ${label}: ${result.events} events, chain intact, last hash ${result.lastHash}${start}${duplicates}`,
    );
    return;
  }
  const p = result.problem;
  out(
    `BROKEN: ${p?.source}:${p?.line}: ${p?.message}${p?.eventId ? ` (event ${p.eventId})` : ""}; ` +
      `${result.events} events verified before it`,
  );
}

/** `audit verify`: walks the chain; exit 0 intact, 1 broken (first bad position printed), 2 bad input. */
export async function runAuditVerify(
  options: SourceOptions & { json?: boolean; expectLastHash?: string; anchor?: string[] },
  print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  if (options.cloudwatch) {
    if (options.expectLastHash || (options.anchor && options.anchor.length > 0)) {
      // Silently ignoring an anchor would report OK without the check the caller asked for.
      throw new UsageError(
        "--expect-last-hash and --anchor check JSONL trails; they do not apply to --cloudwatch",
      );
    }
    const client = cloudWatchClient(options);
    try {
      const results = await verifyCloudWatchTrail(cloudWatchSource(options, client));
      if (results.size === 0) throw new UsageError(`no audit events in log group ${options.logGroup}`);
      let broken = false;
      for (const [stream, result] of results) {
        reportVerify(`cloudwatch:${options.logGroup}/${stream}`, result, options.json ?? false, print);
        broken ||= !result.ok;
      }
      return broken ? EXIT_BROKEN : EXIT_OK;
    } finally {
      client.destroy();
    }
  }
  const files = await jsonlFiles(options);
  const result = await verifyJsonlFiles(files, {
    // A single --file may be a later rotation: its first link points into a file not given.
    requireGenesis: options.file === undefined,
    ...(options.expectLastHash ? { expectLastHash: options.expectLastHash } : {}),
    ...(options.anchor && options.anchor.length > 0 ? { anchors: options.anchor } : {}),
  });
  const label =
    options.file ?? `${options.dir ?? DEFAULT_DIR} (${files.length} file${files.length === 1 ? "" : "s"})`;
  reportVerify(label, result, options.json ?? false, print);
  return result.ok ? EXIT_OK : EXIT_BROKEN;
}

function addSourceOptions(command: Command): Command {
  return command
    .option("--file <path>", "one JSONL audit file")
    .option("--dir <dir>", `directory of rotated JSONL files (default ${DEFAULT_DIR})`)
    .option("--prefix <name>", "file name prefix of the rotated files", "audit")
    .option("--cloudwatch", "read CloudWatch Logs instead of local files")
    .option("--log-group <name>", "CloudWatch log group (with --cloudwatch)")
    .option("--log-stream <name...>", "only these log streams (with --cloudwatch)")
    .option("--region <region>", "AWS region (with --cloudwatch; default AWS_REGION or us-east-1)")
    .option("--endpoint <url>", "CloudWatch Logs endpoint, e.g. the local AWS emulator");
}

function addQueryOptions(command: Command): Command {
  return command
    .option("--since <time>", "from this time: ISO-8601 or a duration back from now (15m, 1h, 7d)")
    .option("--until <time>", "up to this time: ISO-8601 or a duration back from now")
    .option("--user <email|sub>", "only this principal (email, case-insensitive, or subject)")
    .option("--repo <owner/name>", "only this repository")
    .option("--type <type...>", "only these event types (comma-separated or repeated; token.* for a family)")
    .addOption(
      new Option("--decision <decision>", "only allowed or denied events").choices(["allow", "deny"]),
    )
    .option("--limit <n>", "stop after n events");
}

async function guarded(run: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await run();
  } catch (error) {
    if (error instanceof UsageError || error instanceof InvalidTimeBoundError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = EXIT_BAD_INPUT;
      return;
    }
    const code = (error as { code?: unknown; name?: string }).code ?? (error as Error).name;
    process.stderr.write(`error: ${String(code)}: ${(error as Error).message}\n`);
    process.exitCode = EXIT_BAD_INPUT;
  }
}

function exitWith(code: number): (error: CommanderError) => never {
  return (error) => process.exit(error.exitCode === 0 ? 0 : code);
}

/** `repogate audit query|verify|export`: read, verify the hash chain of, and export the audit trail. */
export function registerAuditCommand(program: Command): void {
  const audit = program
    .command("audit")
    .description(
      "read, verify the hash chain of, and export the audit trail (local JSONL or CloudWatch Logs)",
    );

  addQueryOptions(addSourceOptions(audit.command("query")))
    .description("list audit events matching filters, as a table or JSON lines")
    .option("--json", "one JSON event per line")
    .addHelpText("after", "\nExit codes: 0 done (even with no match), 2 bad input or unreadable source.")
    .exitOverride(exitWith(EXIT_BAD_INPUT))
    .action((options: QueryOptions) => guarded(() => runAuditQuery(options)));

  addSourceOptions(audit.command("verify"))
    .description("walk the hash chain and report the first broken or missing link with its file and line")
    .option("--json", "print the result as JSON")
    .option("--expect-last-hash <hash>", "the hash the last event must have (an anchor kept elsewhere)")
    .option(
      "--anchor <hash...>",
      "hashes some event must have (noted elsewhere earlier; the trail may have grown since)",
    )
    .addHelpText(
      "after",
      "\nExit codes: 0 chain intact, 1 chain broken (position printed), 2 bad input or no events.",
    )
    .exitOverride(exitWith(EXIT_BAD_INPUT))
    .action((options: SourceOptions & { json?: boolean; expectLastHash?: string; anchor?: string[] }) =>
      guarded(() => runAuditVerify(options)),
    );

  addQueryOptions(addSourceOptions(audit.command("export")))
    .description("export matching events as JSONL (chain fields kept) or CSV")
    .addOption(new Option("--format <format>", "output format").choices(["jsonl", "csv"]).default("jsonl"))
    .option("--out <file>", "write to this file (mode 0600) instead of stdout")
    .addHelpText("after", "\nExit codes: 0 exported, 2 bad input or unreadable source.")
    .exitOverride(exitWith(EXIT_BAD_INPUT))
    .action((options: ExportOptions) => guarded(() => runAuditExport(options)));
}
