/**
 * What the broker costs per tool call: reading mycompany/web's README directly from the GitHub emulator with
 * octokit and a pre-minted installation token (what a PAT-holding client does) versus the same read as an MCP
 * `tools/call get_file_contents` through the broker over HTTP (auth + policy + mint + read + revoke + audit),
 * in one run, against the whole local stack (GitHub emulator, dev IdP, AWS emulator with the App key in KMS).
 *
 *   npx tsx bench/tool-call-overhead.bench.ts [--requests 200] [--concurrency 1,16]
 *
 * Prints p50/p95 latency and throughput per path and concurrency, the broker/direct ratios, and the upstream
 * calls per tool call counted from the emulators' own logs. Exits 1 if a tool call fails or returns the wrong
 * content, makes more than one mint, leaves a token unrevoked, or signs an App JWT after warm-up.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { KMSClient } from "@aws-sdk/client-kms";
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import pino from "pino";
import { parseConfig } from "../src/config/index.ts";
import { type RunningServer, startServer } from "../src/server.ts";
import { startAwsEmulator } from "../wrangler-free-local/aws/index.ts";
import { importRsaKeyIntoKms } from "../wrangler-free-local/aws/kms/import-key.ts";
import { type RunningGitHubEmulator, startGitHubEmulator } from "../wrangler-free-local/github/index.ts";
import { devLogin } from "../wrangler-free-local/idp/dev-login-client.ts";
import { startDevIdp } from "../wrangler-free-local/idp/index.ts";
import { LOCAL_MCP_SCOPE, SEED_POLICY_FILE } from "../wrangler-free-local/stack.ts";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "200" },
    concurrency: { type: "string", default: "1,16" },
    warmup: { type: "string", default: "10" },
    rounds: { type: "string", default: "4" },
  },
});
const REQUESTS = Number(values.requests);
const CONCURRENCIES = values.concurrency.split(",").map(Number);
const WARMUP = Number(values.warmup);
/** Each row's requests are split into rounds alternating direct and broker, so drift on a shared machine hits both. */
const ROUNDS = Math.max(1, Number(values.rounds));
const HOST = "127.0.0.1";
const OWNER = "mycompany";
const REPO = "web";
const PATH = "README.md";
const EXPECTED_HEADING = "# web";
const INSTALLATION_ID = 2001; // mycompany's installation in wrangler-free-local/seed/github-app.yaml
const KMS_ALIAS = "alias/repogate-bench";

/** A port nothing listens on right now (the IdP must know the broker's URL before the broker listens). */
async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Timing {
  latencies: number[];
  elapsedMs: number;
}

/** Runs `REQUESTS` calls of `task` with at most `concurrency` in flight, timing each call. */
async function run(concurrency: number, requests: number, task: () => Promise<void>): Promise<Timing> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next++;
        const t0 = performance.now();
        await task();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, elapsedMs: performance.now() - started };
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

interface Row {
  concurrency: number;
  path: "direct" | "broker";
  p50: number;
  p95: number;
  rps: number;
}

function summarize(concurrency: number, path: Row["path"], timing: Timing): Row {
  const sorted = [...timing.latencies].sort((a, b) => a - b);
  return {
    concurrency,
    path,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    rps: (timing.latencies.length / timing.elapsedMs) * 1000,
  };
}

/** Upstream work observed during one broker phase, from the GitHub emulator's log and the AWS emulator's counter. */
interface Upstream {
  calls: number;
  mints: number;
  /** Distinct tokens the repository reads were made with. */
  readTokens: number;
  reads: number;
  revocations: number;
  /** App-authenticated requests other than mints (installation look-ups, which should be cached). */
  otherAppRequests: number;
  /** Requests made with a token this phase did not mint (should be none). */
  foreignTokenRequests: number;
  kmsSigns: number;
  auditEvents: number;
  /** Time the GitHub emulator spent answering each mint and each read (part of the broker's latency). */
  mintMs: number[];
  readMs: number[];
}

function mergeTimings(a: Timing, b: Timing): Timing {
  return { latencies: [...a.latencies, ...b.latencies], elapsedMs: a.elapsedMs + b.elapsedMs };
}

function mergeUpstream(a: Upstream, b: Upstream): Upstream {
  const merged = { ...a };
  for (const key of Object.keys(a) as (keyof Upstream)[]) {
    const x = a[key];
    const y = b[key];
    if (Array.isArray(x) && Array.isArray(y)) (merged[key] as number[]) = [...x, ...y];
    else (merged[key] as number) = (x as number) + (y as number);
  }
  return merged;
}

const failures: string[] = [];
const fail = (message: string) => failures.push(message);

const dataDir = await mkdtemp(join(tmpdir(), "repogate-bench-"));
const started: { close(): Promise<void> }[] = [];
let kms: KMSClient | undefined;
try {
  // The broker's KMS client uses the default credential chain: give it local, fake credentials so it
  // never picks up real ones, and it only ever talks to the local AWS emulator.
  process.env.AWS_ACCESS_KEY_ID = "AKIDLOCALBENCH";
  process.env.AWS_SECRET_ACCESS_KEY = "local-bench-secret";
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;

  const brokerPort = await freePort();
  const brokerUrl = `http://${HOST}:${brokerPort}`;
  const mcpUrl = `${brokerUrl}/mcp`;
  // GitHub's limits (5,000/h per installation) would otherwise be part of what is measured.
  const github: RunningGitHubEmulator = await startGitHubEmulator({
    host: HOST,
    port: 0,
    dataDir,
    rateLimits: { corePerHour: 1_000_000 },
  });
  started.push(github);
  const idp = await startDevIdp({ host: HOST, port: 0, dataDir, resourceUrls: [mcpUrl] });
  started.push(idp);
  const aws = await startAwsEmulator({ host: HOST, port: 0, dataDir });
  started.push(aws);
  const pem = await readFile(github.app.privateKeyPath, "utf8");
  kms = new KMSClient({
    region: aws.region,
    endpoint: aws.url,
    credentials: { accessKeyId: "AKIDLOCALBENCH", secretAccessKey: "local-bench-secret" },
  });
  await importRsaKeyIntoKms(kms, pem, { alias: KMS_ALIAS });

  // The local stack's broker, except: App JWT signed by KMS (as in production), and the per-principal limit
  // (120/min by default) raised so the limiter does not refuse the benchmark's own requests.
  const config = parseConfig({
    publicUrl: brokerUrl,
    listen: { host: HOST, port: brokerPort },
    auth: { oidc: { issuer: idp.issuer, requiredScopes: [LOCAL_MCP_SCOPE] } },
    github: {
      apiUrl: github.url,
      appId: github.app.id,
      clientId: github.app.clientId,
      signer: { type: "kms", keyId: KMS_ALIAS, region: aws.region, endpoint: aws.url },
    },
    policy: { file: SEED_POLICY_FILE, watch: false },
    rateLimit: { perPrincipal: { points: 1_000_000, durationSec: 60 } },
    audit: { sink: "jsonl", file: join(dataDir, "audit", "audit.jsonl") },
    aws: { region: aws.region, endpoint: aws.url },
    logLevel: "silent",
  });
  const broker: RunningServer = await startServer(config, { logger: pino({ level: "silent" }) });
  started.push(broker);

  const accessToken = (
    await devLogin({
      issuer: idp.issuer,
      user: "alice@mycompany.example",
      resource: mcpUrl,
      scope: `openid ${LOCAL_MCP_SCOPE}`,
    })
  ).access_token;

  // (a) A PAT-holding client: one installation token minted up front, narrowed like the broker's.
  const appOctokit = new Octokit({
    baseUrl: github.url,
    authStrategy: createAppAuth,
    auth: { appId: github.app.id, privateKey: pem, installationId: INSTALLATION_ID },
  });
  const minted = (await appOctokit.auth({
    type: "installation",
    repositoryNames: [REPO],
    permissions: { contents: "read", metadata: "read" },
  })) as { token: string };
  const direct = new Octokit({ baseUrl: github.url, auth: minted.token });
  const directRead = async () => {
    const { data } = await direct.rest.repos.getContent({ owner: OWNER, repo: REPO, path: PATH });
    const content = "content" in data && typeof data.content === "string" ? data.content : "";
    if (!Buffer.from(content, "base64").toString("utf8").startsWith(EXPECTED_HEADING))
      throw new Error("direct read returned unexpected content");
  };

  // (b) The same read as one stateless MCP message (a real client would send exactly this POST).
  let rpcId = 0;
  const brokerRead = async () => {
    const res = await fetch(mcpUrl, {
      method: "POST",
      headers: {
        authorization: `Bearer ${accessToken}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: ++rpcId,
        method: "tools/call",
        params: { name: "get_file_contents", arguments: { owner: OWNER, repo: REPO, path: PATH } },
      }),
    });
    const body = (await res.json()) as {
      result?: { isError?: boolean; content?: { type: string; text?: string }[] };
      error?: { message: string };
    };
    const text = body.result?.content?.map((c) => c.text ?? "").join("\n") ?? "";
    if (res.status !== 200 || !body.result || body.result.isError || !text.includes(EXPECTED_HEADING)) {
      throw new Error(
        `tool call failed: HTTP ${res.status} ${body.error?.message ?? text.slice(0, 200) ?? ""}`,
      );
    }
  };

  /** Waits until every token minted after `seq` is revoked and the DELETE requests themselves are logged. */
  const waitForRevocations = async (seq: number) => {
    const deadline = Date.now() + 15_000;
    const settled = () => {
      const mints = github.log.mints.filter((m) => m.seq > seq).length;
      const revocations = github.log.revocations.filter((r) => r.seq > seq).length;
      const deletes = github.log.requests.filter((r) => r.seq > seq && r.method === "DELETE").length;
      return revocations >= mints && deletes >= revocations;
    };
    while (!settled() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  };

  /** Runs broker calls and attributes what the emulators saw meanwhile to them. */
  const measureBroker = async (concurrency: number, requests: number) => {
    const seq = Math.max(0, ...[github.log.requests, github.log.mints].flatMap((l) => l.map((e) => e.seq)));
    const mintsBefore = github.log.mints.length;
    const revocationsBefore = github.log.revocations.length;
    const signsBefore = aws.calls.count("kms", "Sign");
    const auditBefore = broker.repogate.audit.status().recorded;
    const timing = await run(concurrency, requests, brokerRead);
    // Revocation and its audit record run off the response path; let them land before counting.
    await waitForRevocations(seq);
    await broker.repogate.audit.flush();
    const mints = github.log.mints.slice(mintsBefore);
    const tokens = new Set(mints.map((m) => m.tokenFingerprint));
    const requestsSeen = github.log.requests.filter((r) => r.seq > seq);
    const reads = requestsSeen.filter((r) => r.method === "GET" && r.auth === "installation");
    const upstream: Upstream = {
      calls: requests,
      mints: mints.length,
      readTokens: new Set(reads.map((r) => r.tokenFingerprint)).size,
      reads: reads.length,
      revocations: github.log.revocations.length - revocationsBefore,
      otherAppRequests: requestsSeen.filter((r) => r.auth === "app" && !r.path.endsWith("/access_tokens"))
        .length,
      foreignTokenRequests: requestsSeen.filter(
        (r) => r.auth === "installation" && !tokens.has(r.tokenFingerprint ?? ""),
      ).length,
      kmsSigns: aws.calls.count("kms", "Sign") - signsBefore,
      auditEvents: broker.repogate.audit.status().recorded - auditBefore,
      mintMs: requestsSeen.filter((r) => r.path.endsWith("/access_tokens")).map((r) => r.durationMs),
      readMs: reads.map((r) => r.durationMs),
    };
    return { timing, upstream };
  };

  // Warm-up: App JWT (one KMS Sign), JWKS, installation id cache, connections, JIT.
  const warm = await measureBroker(1, WARMUP);
  await run(1, WARMUP, directRead);

  const rows: Row[] = [];
  const upstreams: { concurrency: number; upstream: Upstream }[] = [];
  for (const concurrency of CONCURRENCIES) {
    let direct: Timing | undefined;
    let brokered: { timing: Timing; upstream: Upstream } | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const share = Math.floor(REQUESTS / ROUNDS) + (round < REQUESTS % ROUNDS ? 1 : 0);
      const runDirect = async () => {
        const timing = await run(concurrency, share, directRead);
        direct = direct ? mergeTimings(direct, timing) : timing;
      };
      const runBroker = async () => {
        const m = await measureBroker(concurrency, share);
        brokered = brokered
          ? {
              timing: mergeTimings(brokered.timing, m.timing),
              upstream: mergeUpstream(brokered.upstream, m.upstream),
            }
          : m;
      };
      // Alternate which path goes first, so neither always runs on a warmer (or busier) machine.
      if (round % 2 === 0) {
        await runDirect();
        await runBroker();
      } else {
        await runBroker();
        await runDirect();
      }
    }
    if (!direct || !brokered) throw new Error("no requests measured");
    rows.push(summarize(concurrency, "direct", direct));
    rows.push(summarize(concurrency, "broker", brokered.timing));
    upstreams.push({ concurrency, upstream: brokered.upstream });
  }

  console.log(
    `get_file_contents ${OWNER}/${REPO}/${PATH}: ${REQUESTS} requests per row (${ROUNDS} alternating rounds), ` +
      `after ${WARMUP} warm-up calls`,
  );
  console.log("  (a) direct = octokit + pre-minted installation token against the GitHub emulator");
  console.log(
    "  (b) broker = MCP tools/call over HTTP: auth, policy, mint, read, revoke, audit (fsync'd JSONL)\n",
  );
  console.log("conc  path      p50 ms   p95 ms     req/s");
  for (const row of rows) {
    console.log(
      `${String(row.concurrency).padStart(4)}  ${row.path.padEnd(7)} ${row.p50.toFixed(2).padStart(8)} ` +
        `${row.p95.toFixed(2).padStart(8)} ${row.rps.toFixed(0).padStart(9)}`,
    );
  }
  console.log("\nratios, broker (b) / direct (a), same run:");
  for (const concurrency of CONCURRENCIES) {
    const a = rows.find((r) => r.concurrency === concurrency && r.path === "direct") as Row;
    const b = rows.find((r) => r.concurrency === concurrency && r.path === "broker") as Row;
    console.log(
      `  concurrency ${String(concurrency).padStart(2)}: p50 ${(b.p50 / a.p50).toFixed(1)}x, ` +
        `p95 ${(b.p95 / a.p95).toFixed(1)}x, throughput ${(b.rps / a.rps).toFixed(2)}x ` +
        `(the broker serves ${((b.rps / a.rps) * 100).toFixed(0)}% of the direct rate)`,
    );
  }

  console.log("\nupstream work per tool call (from /_emulator/log and the AWS emulator's call counter):");
  console.log(
    "  phase      calls  mints/call  reads/call  revokes/call  other-app-req  KMS signs  audit events/call",
  );
  const phases = [{ concurrency: 0, upstream: warm.upstream }, ...upstreams];
  for (const { concurrency, upstream: u } of phases) {
    const label = concurrency === 0 ? "warm-up" : `conc ${concurrency}`;
    const per = (n: number) => (n / u.calls).toFixed(2).padStart(10);
    console.log(
      `  ${label.padEnd(9)} ${String(u.calls).padStart(6)}  ${per(u.mints)}  ${per(u.reads)}  ${per(u.revocations)}  ` +
        `  ${String(u.otherAppRequests).padStart(13)}  ${String(u.kmsSigns).padStart(9)}  ${per(u.auditEvents)}`,
    );
  }
  console.log("\nGitHub emulator's own time per broker call (median, included in the broker's latency):");
  for (const { concurrency, upstream: u } of upstreams) {
    console.log(
      `  conc ${String(concurrency).padEnd(4)} mint ${median(u.mintMs).toFixed(0)} ms, read ${median(u.readMs).toFixed(0)} ms`,
    );
  }

  for (const { concurrency, upstream: u } of phases) {
    const label = concurrency === 0 ? "warm-up" : `concurrency ${concurrency}`;
    // Every call succeeded, so each minted at least once; as many mints as calls and as many distinct read
    // tokens as calls means exactly one mint per call.
    if (u.mints > u.calls)
      fail(`${label}: ${u.mints} mints for ${u.calls} tool calls (more than one per call)`);
    if (u.readTokens !== u.calls)
      fail(`${label}: reads used ${u.readTokens} distinct tokens for ${u.calls} tool calls`);
    if (u.revocations !== u.mints) fail(`${label}: ${u.revocations} revocations for ${u.mints} mints`);
    if (u.foreignTokenRequests > 0)
      fail(`${label}: ${u.foreignTokenRequests} upstream requests used a token this phase did not mint`);
    if (concurrency !== 0 && u.kmsSigns > 0)
      fail(`${label}: ${u.kmsSigns} KMS signatures after warm-up (the App JWT must be cached)`);
  }
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
} finally {
  kms?.destroy();
  const results = await Promise.allSettled(started.reverse().map((service) => service.close()));
  for (const r of results) if (r.status === "rejected") fail(`close: ${String(r.reason)}`);
  await rm(dataDir, { recursive: true, force: true });
}

if (failures.length > 0) {
  for (const message of failures) console.error(`FAIL: ${message}`);
  process.exitCode = 1;
}
