import { join } from "node:path";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.ts";
import { runWithAuditContext } from "../../src/audit/context.ts";
import type { AuditEvent } from "../../src/audit/event.ts";
import { brokerAuditHooks } from "../../src/audit/hooks.ts";
import { listJsonlFiles } from "../../src/audit/jsonl-files.ts";
import { JsonlAuditSink } from "../../src/audit/jsonl-sink.ts";
import { readJsonlEvents } from "../../src/audit/records.ts";
import { verifyJsonlTrail } from "../../src/audit/verify.ts";
import { CloudWatchAuditSink } from "../../src/aws/cloudwatch-audit-sink.ts";
import { type RunningAwsEmulator, startAwsEmulator } from "../../wrangler-free-local/aws/index.ts";
import { brokerFor, type GitHubEmulator, startGitHub } from "../github/harness.ts";
import { allBytesUnder, readStream, tempDir } from "./helpers.ts";

let work: { dir: string; cleanup: () => Promise<void> };
let github: GitHubEmulator;
let aws: RunningAwsEmulator;

beforeAll(async () => {
  work = await tempDir("broker");
  github = await startGitHub(join(work.dir, "github"));
  aws = await startAwsEmulator({ dataDir: join(work.dir, "aws"), port: 0 });
});

afterAll(async () => {
  await github?.close();
  await aws?.close();
  await work?.cleanup();
});

async function events(dir: string): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  for await (const e of readJsonlEvents(await listJsonlFiles({ dir, prefix: "audit" }))) out.push(e);
  return out;
}

describe("the real token broker with the audit hooks", () => {
  it("has each grant on disk before its token is used, one grant and one revoke per token, no token in the file", async () => {
    github.log.reset();
    const dir = join(work.dir, "audit-ok");
    const log = await AuditLog.open({ sink: new JsonlAuditSink({ dir, prefix: "audit" }) });
    const { broker } = await brokerFor(github, { hooks: brokerAuditHooks(log) });
    const tokens: string[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        runWithAuditContext(
          {
            principal: { sub: `u${i}`, email: `dev${i}@mycompany.example`, groups: [], via: "oidc" },
            request: { id: `r${i}` },
          },
          () =>
            broker.withToken({ repository: "mycompany/web", operation: "read" }, async (octokit, grant) => {
              // Durable before use: the grant line is already in the file when the token is handed over.
              const onDisk = await allBytesUnder(dir);
              expect(onDisk).toContain(`"fingerprint":"${grant.fingerprint}"`);
              tokens.push(((await octokit.auth()) as { token: string }).token);
              await octokit.rest.repos.get({ owner: "mycompany", repo: "web" });
            }),
        ),
      ),
    );
    await broker.drain();
    await log.close();
    const stored = await events(dir);
    const grants = stored.filter((e) => e.type === "token.grant");
    const revokes = stored.filter((e) => e.type === "token.revoke");
    const minted = github.log.mints.map((m) => m.tokenFingerprint).sort();
    expect(grants.map((g) => g.token?.fingerprint.slice(0, 12)).sort()).toEqual(minted);
    expect(revokes.map((r) => r.token?.fingerprint.slice(0, 12)).sort()).toEqual(minted);
    expect(new Set(grants.map((g) => g.token?.fingerprint)).size).toBe(20);
    expect(new Set(grants.map((g) => g.principal?.email)).size).toBe(20);
    expect(grants[0]).toMatchObject({
      resource: { repo: "mycompany/web" },
      token: { repositories: ["mycompany/web"] },
    });
    const bytes = await allBytesUnder(dir);
    expect(tokens).toHaveLength(20);
    for (const token of tokens) expect(bytes).not.toContain(token);
    expect(await verifyJsonlTrail({ dir, prefix: "audit" })).toMatchObject({ ok: true, events: 40 });
  });

  it("with CloudWatch down and deny: the minted token is revoked unused, and a pre-mint check mints nothing more", async () => {
    github.log.reset();
    const log = await AuditLog.open({
      sink: new CloudWatchAuditSink({
        logGroup: "/repogate/broker",
        logStream: "down",
        endpoint: aws.url,
        credentials: { accessKeyId: "emulator-test-key", secretAccessKey: "test" },
        maxAttempts: 2,
        baseDelayMs: 5,
      }),
      onFailure: "deny",
      retryAfterMs: 60_000,
    });
    const { broker } = await brokerFor(github, { hooks: brokerAuditHooks(log) });
    const fault = aws.faults.set({ service: "logs", kind: "unavailable" });
    let used = 0;
    const use = async () => {
      used += 1;
    };
    try {
      await expect(
        broker.withToken({ repository: "mycompany/web", operation: "read" }, use),
      ).rejects.toMatchObject({
        code: "AUDIT_UNAVAILABLE",
      });
      await broker.drain();
      expect(github.log.mints).toHaveLength(1);
      expect(github.log.revocations.map((r) => r.tokenFingerprint)).toEqual([
        github.log.mints[0]?.tokenFingerprint,
      ]);
      // What the integrator's pre-mint check does: refuse before asking GitHub for a token.
      const guarded = async () => {
        log.assertWritable();
        return broker.withToken({ repository: "mycompany/web", operation: "read" }, use);
      };
      const results = await Promise.allSettled(Array.from({ length: 10 }, guarded));
      expect(results.every((r) => r.status === "rejected" && r.reason.code === "AUDIT_UNAVAILABLE")).toBe(
        true,
      );
      expect(github.log.mints).toHaveLength(1);
      // The same refusal through the broker's own beforeMint hook: still exactly one mint.
      const direct = await Promise.allSettled(
        Array.from({ length: 10 }, () =>
          broker.withToken({ repository: "mycompany/web", operation: "read" }, use),
        ),
      );
      expect(direct.every((r) => r.status === "rejected" && r.reason.code === "AUDIT_UNAVAILABLE")).toBe(
        true,
      );
      expect(github.log.mints).toHaveLength(1);
      expect(used).toBe(0);
    } finally {
      aws.faults.clear({ id: fault.id });
    }
    await log.close();
  });

  it("under spool, a CloudWatch outage during 100 concurrent calls loses and duplicates no grant", async () => {
    github.log.reset();
    const credentials = { accessKeyId: "emulator-test-key", secretAccessKey: "test" };
    const log = await AuditLog.open({
      sink: new CloudWatchAuditSink({
        logGroup: "/repogate/broker",
        logStream: "spooled",
        endpoint: aws.url,
        credentials,
        maxAttempts: 2,
        baseDelayMs: 5,
      }),
      onFailure: "spool",
      spoolDir: join(work.dir, "spool-broker"),
      replayIntervalMs: 60_000,
      maxBatch: 10,
    });
    const { broker } = await brokerFor(github, { hooks: brokerAuditHooks(log) });
    await log.record({ type: "policy.load", outcome: "ok" });
    aws.faults.set({ service: "logs", kind: "unavailable", operation: "PutLogEvents", count: 6 });
    aws.faults.set({ service: "logs", kind: "throttle", operation: "PutLogEvents", count: 4 });
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () =>
        broker.withToken({ repository: "mycompany/web", operation: "read" }, async (octokit) => {
          await octokit.rest.repos.get({ owner: "mycompany", repo: "web" });
        }),
      ),
    );
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    await broker.drain();
    expect(log.status().spooled).toBeGreaterThan(0);
    // Each replay pass stops at the first failed write; the outage ends once its injected faults are used up.
    for (let pass = 0; pass < 20 && log.status().spooled > 0; pass++) await log.replayNow();
    expect(aws.faults.list()).toEqual([]);
    expect(log.status().spooled).toBe(0);
    await log.close();
    const client = new CloudWatchLogsClient({ endpoint: aws.url, region: "us-east-1", credentials });
    const stored = (await readStream(client, "/repogate/broker", "spooled")).map(
      (e) => JSON.parse(e.message) as AuditEvent,
    );
    client.destroy();
    const minted = github.log.mints.map((m) => m.tokenFingerprint).sort();
    expect(minted).toHaveLength(100);
    const of = (type: string) =>
      stored
        .filter((e) => e.type === type)
        .map((e) => e.token?.fingerprint.slice(0, 12))
        .sort();
    expect(of("token.grant")).toEqual(minted);
    expect(of("token.revoke")).toEqual(minted);
    expect(new Set(stored.map((e) => e.id)).size).toBe(stored.length);
    expect(stored.map((e) => e.id)).toEqual(stored.map((e) => e.id).sort());
  });
});
