import { join } from "node:path";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.ts";
import { CallTrail } from "../../src/audit/call-record.ts";
import type { AuditEvent } from "../../src/audit/event.ts";
import { listJsonlFiles } from "../../src/audit/jsonl-files.ts";
import { JsonlAuditSink } from "../../src/audit/jsonl-sink.ts";
import { readJsonlEvents } from "../../src/audit/records.ts";
import { verifyJsonlTrail } from "../../src/audit/verify.ts";
import type { Principal } from "../../src/auth/principal.ts";
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

const TOOL = "get_repository_overview";

/** The i-th caller; its scopes and client id must never reach the audit trail. */
function caller(i: number): Principal {
  return {
    sub: `u${i}`,
    email: `dev${i}@mycompany.example`,
    groups: [],
    via: "oidc",
    clientId: `client-${i}`,
    scopes: ["repogate:read"],
  };
}

/** What every event of caller i's call must say about who and what. */
function whoOf(i: number): Pick<AuditEvent, "principal" | "request"> {
  return {
    principal: { sub: `u${i}`, email: `dev${i}@mycompany.example`, groups: [], via: "oidc" },
    request: { id: `r${i}`, tool: TOOL },
  };
}

describe("the real token broker with the audit call record", () => {
  it("has each grant on disk before its token is used, one grant and one revoke per token, no token in the file", async () => {
    github.log.reset();
    const dir = join(work.dir, "audit-ok");
    const log = await AuditLog.open({ sink: new JsonlAuditSink({ dir, prefix: "audit" }) });
    const trail = new CallTrail(log);
    const { tokens } = await brokerFor(github);
    const tokenValues: string[] = [];
    /** The fingerprint of the token each call was given, by call. */
    const fingerprints: string[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        tokens.withToken(
          { repository: "mycompany/web", operation: "read" },
          trail.open(caller(i), { id: `r${i}`, tool: TOOL }),
          async (octokit, grant) => {
            // Durable before use: the grant line is already in the file when the token is handed over.
            const onDisk = await allBytesUnder(dir);
            expect(onDisk).toContain(`"fingerprint":"${grant.fingerprint}"`);
            fingerprints[i] = grant.fingerprint;
            tokenValues.push(((await octokit.auth()) as { token: string }).token);
            await octokit.rest.repos.get({ owner: "mycompany", repo: "web" });
          },
        ),
      ),
    );
    await tokens.drain();
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
    // Each token's grant and revocation carry exactly the principal and request of the call that minted it.
    for (let i = 0; i < 20; i++) {
      const ofCall = stored.filter((e) => e.token?.fingerprint === fingerprints[i]);
      expect(ofCall.map((e) => e.type)).toEqual(["token.grant", "token.revoke"]);
      for (const event of ofCall) {
        expect(event.principal).toEqual(whoOf(i).principal);
        expect(event.request).toEqual(whoOf(i).request);
      }
    }
    const bytes = await allBytesUnder(dir);
    expect(tokenValues).toHaveLength(20);
    for (const token of tokenValues) expect(bytes).not.toContain(token);
    expect(bytes).not.toContain("repogate:read");
    expect(bytes).not.toContain("client-");
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
    const trail = new CallTrail(log);
    const { tokens } = await brokerFor(github);
    const fault = aws.faults.set({ service: "logs", kind: "unavailable" });
    let used = 0;
    let calls = 0;
    const use = async () => {
      used += 1;
    };
    const call = () => {
      const i = calls++;
      return trail.open(caller(i), { id: `r${i}`, tool: TOOL });
    };
    try {
      await expect(
        tokens.withToken({ repository: "mycompany/web", operation: "read" }, call(), use),
      ).rejects.toMatchObject({
        code: "AUDIT_UNAVAILABLE",
      });
      await tokens.drain();
      expect(github.log.mints).toHaveLength(1);
      expect(github.log.revocations.map((r) => r.tokenFingerprint)).toEqual([
        github.log.mints[0]?.tokenFingerprint,
      ]);
      // What the MCP layer's audit gate does before a call: refuse before asking GitHub for a token.
      const guarded = async () => {
        await trail.ready();
        return tokens.withToken({ repository: "mycompany/web", operation: "read" }, call(), use);
      };
      const results = await Promise.allSettled(Array.from({ length: 10 }, guarded));
      expect(results.every((r) => r.status === "rejected" && r.reason.code === "AUDIT_UNAVAILABLE")).toBe(
        true,
      );
      expect(github.log.mints).toHaveLength(1);
      // The same refusal through each call record's beforeMint, awaited by the broker: still exactly one mint.
      const direct = await Promise.allSettled(
        Array.from({ length: 10 }, () =>
          tokens.withToken({ repository: "mycompany/web", operation: "read" }, call(), use),
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
    const trail = new CallTrail(log);
    const { tokens } = await brokerFor(github);
    await log.record({ type: "policy.load", outcome: "ok" });
    aws.faults.set({ service: "logs", kind: "unavailable", operation: "PutLogEvents", count: 6 });
    aws.faults.set({ service: "logs", kind: "throttle", operation: "PutLogEvents", count: 4 });
    /** The fingerprint of the token each call was given, by call. */
    const fingerprints: string[] = [];
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        tokens.withToken(
          { repository: "mycompany/web", operation: "read" },
          trail.open(caller(i), { id: `r${i}`, tool: TOOL }),
          async (octokit, grant) => {
            fingerprints[i] = grant.fingerprint;
            await octokit.rest.repos.get({ owner: "mycompany", repo: "web" });
          },
        ),
      ),
    );
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    await tokens.drain();
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
    // Spooled and replayed, each grant and revocation still names the call that minted its token.
    for (let i = 0; i < 100; i++) {
      const ofCall = stored.filter((e) => e.token?.fingerprint === fingerprints[i]);
      expect(ofCall.map((e) => e.type).sort()).toEqual(["token.grant", "token.revoke"]);
      for (const event of ofCall) expect(event).toMatchObject(whoOf(i));
    }
  });
});
