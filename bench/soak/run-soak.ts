/**
 * The fault-injection soak (issue 9 §6): tool calls from concurrent MCP clients of several users against the
 * broker as a child process, in three broker configurations one after the other, while the emulators' fault
 * switches inject GitHub 5xx, secondary rate limits (403 and 429 with retry-after), failed mints, failed
 * revocations, KMS throttling, a SIGTERM and restart, and a CloudWatch Logs outage under `spool` and under `deny`.
 * Afterwards every figure is counted from the peers' own records (the GitHub emulator's mints and revocations,
 * the trail in the JSONL files and CloudWatch, `repogate audit verify`) and checked (soak-figures.ts).
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { AuditEvent } from "../../src/audit/event.ts";
import { listJsonlFiles } from "../../src/audit/jsonl-files.ts";
import { parseRecord, readJsonlEvents } from "../../src/audit/records.ts";
import { AuditSpool } from "../../src/audit/spool.ts";
import { readCloudWatchRecords } from "../../src/aws/cloudwatch-audit-source.ts";
import type { RepogateConfigInput } from "../../src/config/index.ts";
import { LOCAL_MCP_SCOPE, SEED_POLICY_FILE } from "../../wrangler-free-local/stack.ts";
import { type BrokerExit, type BrokerProcess, startBroker } from "./broker-process.ts";
import { soakUsers } from "./call-plan.ts";
import {
  awsCalls,
  clearAwsFaults,
  clearGitHubFault,
  clearGitHubFaults,
  injectAwsFault,
  injectGitHubFault,
} from "./fault-switches.ts";
import {
  HOST,
  KMS_ALIAS,
  LOCAL_AWS_CREDENTIALS,
  type LocalServices,
  startLocalServices,
} from "./local-services.ts";
import { scanForSecrets } from "./secret-scan.ts";
import type { SoakFigures } from "./soak-figures.ts";
import { balanceTokens, type DenyOutage, type EmulatorMint, type EmulatorRequest } from "./token-ledger.ts";
import { Traffic } from "./traffic.ts";

const CLI = fileURLToPath(new URL("../../bin/repogate.js", import.meta.url));
const LOG_GROUP = "/repogate/soak/audit";
const REVOCATION_OUTAGE_MS = 3000;

export interface SoakOptions {
  /** Tool calls in all (default 10,000). */
  calls: number;
  /** Concurrent MCP clients (default 32). */
  clients: number;
  /** Pause between a client's calls (bursters excepted). */
  thinkMs: number;
  /** How long each CloudWatch Logs outage lasts. */
  outageMs: number;
  /** The broker's per-principal limit; the burster exceeds it, the others stay under it. */
  rateLimit: { points: number; durationSec: number };
  callTimeoutMs: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Keep the data directory (logs, trail) for inspection. */
  keepDataDir?: boolean;
}

export const DEFAULT_SOAK_OPTIONS: SoakOptions = {
  calls: 10_000,
  clients: 32,
  thinkMs: 1000,
  outageMs: 12_000,
  rateLimit: { points: 20, durationSec: 1 },
  callTimeoutMs: 60_000,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface BrokerRun {
  phase: string;
  stopping?: boolean;
  exit?: BrokerExit;
  /** Set when the broker exited without being asked to. */
  crashed?: BrokerExit;
}

/** Runs the soak and returns its figures (check them with `soakProblems`). */
export async function runSoak(options: SoakOptions): Promise<SoakFigures & { dataDir: string }> {
  const say = options.log ?? (() => {});
  const dataDir = await mkdtemp(join(tmpdir(), "repogate-soak-"));
  const auditDir = join(dataDir, "audit");
  await mkdir(auditDir, { recursive: true, mode: 0o700 });
  const logFile = join(dataDir, "broker.log");
  const started = Date.now();
  const services = await startLocalServices(dataDir);
  const brokers: BrokerRun[] = [];
  let broker: BrokerProcess | undefined;
  let traffic: Traffic | undefined;
  const cleanups: (() => void)[] = [];
  try {
    const configFor = (sink: "jsonl" | "cloudwatch", onFailure: "deny" | "spool"): RepogateConfigInput => ({
      publicUrl: services.brokerUrl,
      listen: { host: HOST, port: services.brokerPort },
      auth: { oidc: { issuer: services.issuer, requiredScopes: [LOCAL_MCP_SCOPE] } },
      github: {
        apiUrl: services.github.url,
        appId: services.github.app.id,
        clientId: services.github.app.clientId,
        signer: { type: "kms", keyId: KMS_ALIAS, region: services.aws.region, endpoint: services.aws.url },
      },
      policy: { file: SEED_POLICY_FILE, watch: false },
      rateLimit: { perPrincipal: options.rateLimit },
      audit: {
        sink,
        file: join(auditDir, "audit.jsonl"),
        onFailure,
        ...(sink === "cloudwatch" ? { logGroup: LOG_GROUP } : {}),
      },
      aws: { region: services.aws.region, endpoint: services.aws.url },
      metrics: { exporter: "none" },
      logLevel: "info",
    });
    const start = async (phase: string, config: RepogateConfigInput) => {
      say(`[${elapsed(started)}] ${phase}: starting the broker`);
      broker = await startBroker({
        config,
        configFile: join(dataDir, `repogate-${brokers.length + 1}.json`),
        logFile,
        url: services.brokerUrl,
      });
      const run: BrokerRun = { phase };
      brokers.push(run);
      const current = broker;
      void current.exited.then((exit) => {
        if (run.stopping) return;
        run.crashed = exit;
        say(
          `[${elapsed(started)}] the broker (${phase}) exited on its own: code ${exit.code}, signal ${exit.signal}`,
        );
      });
    };
    const stop = async () => {
      (brokers.at(-1) as BrokerRun).stopping = true;
      const exit = await (broker as BrokerProcess).stop();
      (brokers.at(-1) as BrokerRun).exit = exit;
      say(
        `[${elapsed(started)}] broker stopped: code ${exit.code}, signal ${exit.signal}, ${exit.stopMs} ms`,
      );
    };

    const users = await Promise.all(
      soakUsers(options.clients).map(async (user) => ({ ...user, token: await services.token(user.email) })),
    );
    const n = options.calls;
    const at = (fraction: number) => Math.round(n * fraction);
    const faultCount = Math.max(3, Math.round(n / 500));
    const github = services.github.url;
    const aws = services.aws.url;

    // Phase 1: the JSONL trail under deny; GitHub faults, KMS throttling, SIGTERM and restart mid-phase.
    await start("jsonl/deny", configFor("jsonl", "deny"));
    traffic = new Traffic({
      mcpUrl: services.mcpUrl,
      users,
      thinkMs: options.thinkMs,
      callTimeoutMs: options.callTimeoutMs,
    });
    await traffic.start();
    const progress = setInterval(() => {
      say(`[${elapsed(started)}] calls answered ${traffic?.done} of ${traffic?.issued} started`);
      for (const call of traffic?.inFlight.values() ?? []) {
        if (Date.now() - call.since > 30_000) {
          say(`  waiting ${elapsed(call.since)}: ${call.user} ${call.tool} (${call.state})`);
        }
      }
    }, 10_000);
    progress.unref();
    cleanups.push(() => clearInterval(progress));
    traffic.allow(at(0.5));
    const githubFaults: [number, Parameters<typeof injectGitHubFault>[1], string][] = [
      [
        0.04,
        { kind: "server-error", status: 502, method: "GET", pathPrefix: "/repos/", count: faultCount },
        "5xx",
      ],
      [
        0.08,
        {
          kind: "secondary-rate-limit",
          status: 403,
          retryAfterSeconds: 1,
          pathPrefix: "/repos/",
          count: faultCount,
        },
        "secondary rate limit 403",
      ],
      [
        0.12,
        {
          kind: "secondary-rate-limit",
          status: 429,
          retryAfterSeconds: 1,
          pathPrefix: "/repos/",
          count: faultCount,
        },
        "secondary rate limit 429",
      ],
      [
        0.16,
        {
          kind: "server-error",
          status: 500,
          method: "POST",
          pathPrefix: "/app/installations/",
          count: faultCount,
        },
        "failed mints",
      ],
    ];
    for (const [fraction, fault, name] of githubFaults) {
      await traffic.waitForDone(at(fraction));
      say(`[${elapsed(started)}] GitHub fault: ${name} x${faultCount}`);
      await injectGitHubFault(github, fault);
    }
    // Failed revocations for a few seconds rather than N requests: the broker tries twice and octokit retries
    // each try, so only a span of failures leaves tokens unrevoked (to be reported by token.revoke.fail).
    await traffic.waitForDone(at(0.2));
    const revocationFault = await injectGitHubFault(github, {
      kind: "server-error",
      status: 502,
      method: "DELETE",
      pathPrefix: "/installation/token",
    });
    say(`[${elapsed(started)}] GitHub fault: failed revocations for ${REVOCATION_OUTAGE_MS} ms`);
    await sleep(REVOCATION_OUTAGE_MS);
    await clearGitHubFault(github, revocationFault);
    await traffic.waitForDone(at(0.25));
    // The restarted broker signs a new App JWT: KMS throttles it (the SDK retries twice, so three throttles fail
    // the first signing and the calls waiting on it get a clear App-authentication error).
    await injectAwsFault(aws, { service: "kms", kind: "throttle", operation: "Sign", count: 3 });
    say(`[${elapsed(started)}] SIGTERM mid-run (calls keep coming), KMS Sign throttled x3, restart`);
    await stop();
    await start("jsonl/deny (restarted)", configFor("jsonl", "deny"));
    await traffic.waitForDone(at(0.5));
    await stop();

    // Phase 2: CloudWatch under spool, with an outage; the spool must be replayed fully and in order.
    await start("cloudwatch/spool", configFor("cloudwatch", "spool"));
    traffic.allow(at(0.7));
    await traffic.waitForDone(at(0.55));
    let spooledIds: string[] = [];
    const pacing = { clients: options.clients, budget: at(0.15), thinkMs: options.thinkMs };
    const spoolOutage = await outage(aws, options.outageMs, traffic, pacing, say, started, async () => {
      // Just before the sink comes back: what the spool holds now must all reach CloudWatch, in order.
      spooledIds = await spoolIds(join(auditDir, "spool", "spool.jsonl"));
    });
    traffic.allow(at(0.75));
    await traffic.waitForDone(at(0.75));
    await stop();
    const spoolAfter = new AuditSpool({ dir: join(auditDir, "spool") });
    await spoolAfter.open();
    const spoolPendingAfter = spoolAfter.pending;
    await spoolAfter.close();

    // Phase 3: CloudWatch under deny, with an outage: nothing may be minted while the sink is known down.
    await start("cloudwatch/deny", configFor("cloudwatch", "deny"));
    traffic.allow(at(0.95));
    await traffic.waitForDone(at(0.8));
    const denyOutage = await outage(aws, options.outageMs, traffic, pacing, say, started);
    traffic.allow(n);
    await traffic.waitForDone(n);
    await traffic.stop();
    await stop();
    broker = undefined;
    say(`[${elapsed(started)}] traffic done; counting`);

    // What the peers recorded.
    const emulatorLog = (await (await fetch(`${github}/_emulator/log`)).json()) as {
      mints: EmulatorMint[];
      revocations: { tokenFingerprint: string }[];
      requests: EmulatorRequest[];
    };
    const leftoverGitHubFaults = (
      (await (await fetch(`${github}/_emulator/faults`)).json()) as { faults: unknown[] }
    ).faults.length;
    await clearGitHubFaults(github);
    const kmsCalls = (await awsCalls(aws)).kms ?? {};
    const jsonlEvents: AuditEvent[] = [];
    for await (const event of readJsonlEvents(await listJsonlFiles({ dir: auditDir, prefix: "audit" }))) {
      jsonlEvents.push(event);
    }
    const cloudwatch = await readCloudWatch(services);
    const events = [...jsonlEvents, ...cloudwatch.events];
    const brokerLog = await readFile(logFile, "utf8");
    const knownDown = firstSinkFailure(brokerLog, denyOutage.faultOn, denyOutage.faultOff + 10_000);
    const denyWindow: DenyOutage = {
      faultOn: denyOutage.faultOn,
      knownDown: knownDown ?? Number.POSITIVE_INFINITY,
      faultOff: denyOutage.faultOff,
    };
    const tokens = balanceTokens({
      mints: emulatorLog.mints,
      revokedFingerprints: emulatorLog.revocations.map((r) => r.tokenFingerprint),
      requests: emulatorLog.requests,
      events,
      denyOutages: [denyWindow],
    });
    const cloudWatchIds = new Set(cloudwatch.events.map((e) => e.id));
    // Both trails through the real CLI, side by side (each is its own process).
    const [verifyJsonl, verifyCloudWatch] = await Promise.all([
      cli(["audit", "verify", "--dir", auditDir]),
      cli([
        "audit",
        "verify",
        "--cloudwatch",
        "--log-group",
        LOG_GROUP,
        "--endpoint",
        aws,
        "--region",
        services.aws.region,
      ]),
    ]);
    const secrets = await scanForSecrets(
      { files: [logFile], dirs: [auditDir] },
      cloudwatch.messages.map((text, i) => ({ where: `cloudwatch event ${i + 1}`, text })),
    );
    const records = traffic.records;
    const outcomes: Record<string, number> = {};
    for (const record of records) outcomes[record.outcome] = (outcomes[record.outcome] ?? 0) + 1;
    return {
      dataDir,
      options,
      durationMs: Date.now() - started,
      calls: records.length,
      outcomes,
      defectExamples: records
        .filter((r) => r.detail && !["ok", "denied", "rate-limited"].includes(r.outcome))
        .reduce<Record<string, string>>((acc, r) => {
          acc[r.outcome] ??= `${r.user} ${r.tool}: ${r.detail}`;
          return acc;
        }, {}),
      http: traffic.http,
      brokers: brokers.map((b) => ({
        phase: b.phase,
        exitCode: b.exit?.code ?? null,
        stopMs: b.exit?.stopMs ?? 0,
        crashed: b.crashed !== undefined,
      })),
      tokens,
      denyOutage: { ...denyWindow, knownDown: knownDown ?? null },
      spoolOutage,
      spool: {
        spooledAtOutageEnd: spooledIds.length,
        replayedToCloudWatch: spooledIds.filter((id) => cloudWatchIds.has(id)).length,
        pendingAfter: spoolPendingAfter,
      },
      audit: {
        jsonlEvents: jsonlEvents.length,
        cloudWatchEvents: cloudwatch.events.length,
        cloudWatchOutOfOrder: cloudwatch.outOfOrder,
        cloudWatchDuplicates: cloudwatch.events.length - cloudWatchIds.size,
        unparsable: cloudwatch.unparsable,
        verifyJsonl,
        verifyCloudWatch,
      },
      kmsSignCalls: kmsCalls.Sign ?? 0,
      leftoverGitHubFaults,
      secrets: {
        scannedBytes: secrets.scannedBytes,
        found: secrets.findings.length,
        examples: secrets.findings.slice(0, 5),
      },
    };
  } finally {
    for (const cleanup of cleanups) cleanup();
    await traffic?.stop().catch(() => undefined);
    const last = brokers.at(-1);
    if (last) last.stopping = true;
    await broker?.stop().catch(() => undefined);
    await services.close();
    if (!options.keepDataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * A CloudWatch Logs outage of `ms` while `budget` calls may still be made; clients are slowed so the calls spread
 * over the whole outage (under deny they are refused at once). `beforeEnd` runs just before the fault is cleared.
 */
async function outage(
  awsUrl: string,
  ms: number,
  traffic: Traffic,
  pacing: { clients: number; budget: number; thinkMs: number },
  say: (line: string) => void,
  started: number,
  beforeEnd?: () => Promise<void>,
): Promise<{ faultOn: number; faultOff: number }> {
  const faultOn = Date.now();
  await injectAwsFault(awsUrl, { service: "logs", kind: "unavailable" });
  // Aim to use ~60 % of the budget during the outage, so calls still arrive when it ends.
  const pause = Math.max(pacing.thinkMs, Math.round((pacing.clients * ms) / (pacing.budget * 0.6)));
  traffic.slowDown(pause);
  say(`[${elapsed(started)}] CloudWatch Logs outage for ${ms} ms (clients pause ${pause} ms between calls)`);
  await sleep(ms);
  await beforeEnd?.();
  await clearAwsFaults(awsUrl, "logs");
  traffic.slowDown(0);
  return { faultOn, faultOff: Date.now() };
}

/** The ids in the spool file right now (read only: the broker owns the file). */
async function spoolIds(path: string): Promise<string[]> {
  const text = await readFile(path, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      try {
        return (JSON.parse(line) as { id?: string }).id ?? "";
      } catch {
        return "";
      }
    })
    .filter(Boolean);
}

/** The first "audit sink write failed" the broker logged within a time span (pino's `time` is epoch ms). */
function firstSinkFailure(log: string, from: number, to: number): number | undefined {
  for (const line of log.split("\n")) {
    if (!line.includes("audit sink write failed")) continue;
    try {
      const time = (JSON.parse(line) as { time?: number }).time;
      if (typeof time === "number" && time >= from && time <= to) return time;
    } catch {
      // Not a pino line (e.g. a Node warning on stderr).
    }
  }
  return undefined;
}

/** Every audit event in the CloudWatch log group, with order and duplicate checks per stream. */
async function readCloudWatch(services: LocalServices): Promise<{
  events: AuditEvent[];
  messages: string[];
  outOfOrder: number;
  unparsable: number;
}> {
  const client = new CloudWatchLogsClient({
    region: services.aws.region,
    endpoint: services.aws.url,
    credentials: LOCAL_AWS_CREDENTIALS,
  });
  const events: AuditEvent[] = [];
  const messages: string[] = [];
  const lastIdPerStream = new Map<string, string>();
  let outOfOrder = 0;
  let unparsable = 0;
  try {
    for await (const record of readCloudWatchRecords({ client, logGroup: LOG_GROUP })) {
      messages.push(record.text);
      const parsed = parseRecord(record);
      if (!parsed.ok) {
        unparsable += 1;
        continue;
      }
      const last = lastIdPerStream.get(record.stream);
      if (last !== undefined && parsed.event.id < last) outOfOrder += 1;
      lastIdPerStream.set(record.stream, parsed.event.id);
      events.push(parsed.event);
    }
  } finally {
    client.destroy();
  }
  return { events, messages, outOfOrder, unparsable };
}

/** Runs `repogate …` and returns its exit code and output. */
async function cli(args: string[]): Promise<{ exitCode: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        AWS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
      },
    });
    return { exitCode: 0, output: `${stdout}${stderr}`.trim() };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return {
      exitCode: typeof e.code === "number" ? e.code : -1,
      output: `${e.stdout ?? ""}${e.stderr ?? ""}`.trim(),
    };
  }
}

function elapsed(started: number): string {
  return `${((Date.now() - started) / 1000).toFixed(1)} s, ${new Date().toISOString().slice(11, 23)}`;
}
