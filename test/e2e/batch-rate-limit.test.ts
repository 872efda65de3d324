/**
 * JSON-RPC batches against the per-user limit (issue 9 §1), through the real assembly (`startServer` →
 * `createRepogate`) over real HTTP, with the GitHub emulator counting mints: three POSTs of 50
 * `get_file_contents` calls each must not buy more successes, or mints, than the caller's limit allows.
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../src/server.ts";
import { type RunningGitHubEmulator, startGitHubEmulator } from "../../wrangler-free-local/github/index.ts";
import { devLogin } from "../../wrangler-free-local/idp/dev-login-client.ts";
import { type RunningDevIdp, startDevIdp } from "../../wrangler-free-local/idp/index.ts";
import { freePort } from "../support/ports.ts";
import { makeDataDir, USERS, wiredBrokerConfig } from "./stack.ts";

/** Per-user points in this test: more than one batch of 50, less than two. */
const LIMIT = 60;

let dataDir: string;
let github: RunningGitHubEmulator;
let idp: RunningDevIdp;
const brokers: { server: RunningServer; mcpUrl: string; token: string }[] = [];

let ports: number[] = [];

async function startBroker(port: number, http: Record<string, unknown>) {
  const config = wiredBrokerConfig(
    port,
    { issuer: idp.issuer, github },
    {
      rateLimit: { perPrincipal: { points: LIMIT, durationSec: 60 } },
      http,
      audit: { file: path.join(dataDir, `audit-${port}`, "audit.jsonl") },
    },
  );
  const server = await startServer(config, { logger: pino({ level: "silent" }) });
  const mcpUrl = `http://127.0.0.1:${port}/mcp`;
  const token = (await devLogin({ issuer: idp.issuer, user: USERS.alice, resource: mcpUrl })).access_token;
  const broker = { server, mcpUrl, token };
  brokers.push(broker);
  return broker;
}

beforeAll(async () => {
  dataDir = await makeDataDir("repogate-batch-limit-");
  github = await startGitHubEmulator({ dataDir, port: 0 });
  // The IdP must know each broker's resource URL before it starts, so the brokers' ports are chosen here.
  ports = [await freePort(), await freePort()];
  idp = await startDevIdp({ dataDir, port: 0, resourceUrls: ports.map((p) => `http://127.0.0.1:${p}/mcp`) });
}, 60_000);

afterAll(async () => {
  for (const broker of brokers) await broker.server.close();
  await idp?.close();
  await github?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

let nextId = 1;
const batchOf = (n: number) =>
  Array.from({ length: n }, () => ({
    jsonrpc: "2.0",
    id: nextId++,
    method: "tools/call",
    params: { name: "get_file_contents", arguments: { owner: "mycompany", repo: "web", path: "README.md" } },
  }));

async function post(broker: { mcpUrl: string; token: string }, body: unknown, protocolVersion: string) {
  const res = await fetch(broker.mcpUrl, {
    method: "POST",
    headers: {
      authorization: `Bearer ${broker.token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": protocolVersion,
    },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as unknown;
  const answers = (Array.isArray(json) ? json : [json]) as Array<{ result?: { isError?: boolean } }>;
  return { status: res.status, successes: answers.filter((a) => a.result && !a.result.isError).length };
}

describe("three batches of 50 tool calls from one user", () => {
  it("are refused outright by default: 400 for a batch-less protocol and for more than 10 messages, 0 mints", async () => {
    const broker = await startBroker(ports[0] as number, {});
    const mintsBefore = github.log.mints.length;
    for (const version of ["2025-06-18", "2025-03-26"]) {
      for (let i = 0; i < 3; i++) {
        const answer = await post(broker, batchOf(50), version);
        expect(answer.status).toBe(400);
        expect(answer.successes).toBe(0);
      }
    }
    expect(github.log.mints.length - mintsBefore).toBe(0);
  }, 60_000);

  it("with batches of 50 allowed, still get no more successes or mints than the per-user limit", async () => {
    const broker = await startBroker(ports[1] as number, { maxBatchMessages: 50 });
    const mintsBefore = github.log.mints.length;
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await post(broker, batchOf(50), "2025-03-26"));
    expect(answers.map((a) => a.status)).toEqual([200, 429, 429]);
    const successes = answers.reduce((n, a) => n + a.successes, 0);
    expect(successes).toBeLessThanOrEqual(LIMIT);
    expect(successes).toBe(50);
    expect(github.log.mints.length - mintsBefore).toBe(50);
  }, 120_000);
});
