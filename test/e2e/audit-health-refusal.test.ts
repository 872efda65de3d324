/**
 * The wired broker's audit-health refusal (issue 9 §5, §8), through the real assembly (`startServer` →
 * `createRepogate`) over real HTTP: under `audit.onFailure: deny` with the CloudWatch Logs sink down (the AWS
 * emulator's fault switch), a tool call, and a JSON-RPC batch of tool calls, get the clear 503 refusal and the
 * GitHub emulator counts no mint, also after the audit log's 2 s retry window has passed, several times over.
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../src/server.ts";
import { type RunningAwsEmulator, startAwsEmulator } from "../../wrangler-free-local/aws/index.ts";
import { type RunningGitHubEmulator, startGitHubEmulator } from "../../wrangler-free-local/github/index.ts";
import { devLogin } from "../../wrangler-free-local/idp/dev-login-client.ts";
import { type RunningDevIdp, startDevIdp } from "../../wrangler-free-local/idp/index.ts";
import { freePort } from "../support/ports.ts";
import { makeDataDir, USERS, wiredBrokerConfig } from "./stack.ts";

/** The audit log's default `retryAfterMs` (not configurable): refusals must hold past it. */
const RETRY_WINDOW_MS = 2_000;
/** The MCP revision that still allows JSON-RPC batches (removed in 2025-06-18). */
const BATCHING_PROTOCOL = "2025-03-26";
const AUDIT_REFUSAL = /audit trail/i;

let dataDir: string;
let github: RunningGitHubEmulator;
let idp: RunningDevIdp;
let aws: RunningAwsEmulator;
let broker: RunningServer;
let mcpUrl: string;
let token: string;
const savedEnv: Record<string, string | undefined> = {};

beforeAll(async () => {
  // The broker's CloudWatch client takes the SDK's default credential chain; the emulator accepts any key.
  for (const [name, value] of Object.entries({
    AWS_ACCESS_KEY_ID: "emulator-test-key",
    AWS_SECRET_ACCESS_KEY: "emulator-test-secret",
    AWS_EC2_METADATA_DISABLED: "true",
  })) {
    savedEnv[name] = process.env[name];
    process.env[name] = value;
  }
  dataDir = await makeDataDir("repogate-audit-refusal-");
  const port = await freePort();
  mcpUrl = `http://127.0.0.1:${port}/mcp`;
  github = await startGitHubEmulator({ dataDir, port: 0 });
  idp = await startDevIdp({ dataDir, port: 0, resourceUrls: [mcpUrl] });
  aws = await startAwsEmulator({ dataDir, port: 0 });
  const config = wiredBrokerConfig(
    port,
    { issuer: idp.issuer, github },
    {
      audit: {
        sink: "cloudwatch",
        logGroup: "/repogate/audit-refusal-test",
        onFailure: "deny",
        file: path.join(dataDir, "audit", "audit.jsonl"),
      },
      aws: { region: aws.region, endpoint: aws.url },
    },
  );
  broker = await startServer(config, { logger: pino({ level: "silent" }) });
  token = (await devLogin({ issuer: idp.issuer, user: USERS.alice, resource: mcpUrl })).access_token;
}, 60_000);

afterAll(async () => {
  await broker?.close();
  for (const service of [aws, idp, github]) await service?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

let nextId = 1;
function readCall(): Record<string, unknown> {
  return {
    jsonrpc: "2.0",
    id: nextId++,
    method: "tools/call",
    params: { name: "get_file_contents", arguments: { owner: "mycompany", repo: "web", path: "README.md" } },
  };
}

/** One POST /mcp with a JSON-RPC message or batch, as an MCP client sends it. */
async function post(body: unknown, protocolVersion = BATCHING_PROTOCOL) {
  const res = await fetch(mcpUrl, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": protocolVersion,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: parseBody(text) };
}

/** A JSON body, or the `data:` lines of an SSE answer. */
function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const data = text
      .split("\n")
      .filter((line) => line.startsWith("data: "))
      .map((line) => JSON.parse(line.slice(6)) as unknown);
    return data.length === 1 ? data[0] : data;
  }
}

/** Every JSON-RPC message in an answer (one object or a batch array). */
function messages(json: unknown): Array<{ result?: { isError?: boolean }; error?: { message: string } }> {
  return (Array.isArray(json) ? json : [json]) as never;
}

/** The clear refusal: 503, and only JSON-RPC errors that name the audit trail (never a result). */
function expectAuditRefusal(answer: Awaited<ReturnType<typeof post>>): void {
  expect(answer.status, answer.text).toBe(503);
  const all = messages(answer.json);
  expect(all.length).toBeGreaterThan(0);
  for (const message of all) {
    expect(message.result, answer.text).toBeUndefined();
    expect(message.error?.message).toMatch(AUDIT_REFUSAL);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the wired broker under audit.onFailure deny with a broken sink", () => {
  it("works while the sink is up: the call succeeds and mints one token (the set-up is sound)", async () => {
    const before = github.log.mints.length;
    const answer = await post(readCall());
    expect(answer.status, answer.text).toBe(200);
    const [message] = messages(answer.json);
    expect(message?.error).toBeUndefined();
    expect(message?.result?.isError).not.toBe(true);
    expect(github.log.mints.length - before).toBe(1);
  });

  it("refuses one call and one batch with the clear 503 and mints nothing, also after the retry window", async () => {
    aws.faults.set({ service: "logs", kind: "unavailable" });
    try {
      // The first audit write after the outage began (a denied call: it mints nothing) fails; the log now knows.
      const denied = await post({
        jsonrpc: "2.0",
        id: nextId++,
        method: "tools/call",
        params: {
          name: "get_file_contents",
          arguments: { owner: "othercorp", repo: "secret", path: "README.md" },
        },
      });
      expect(denied.text).toMatch(AUDIT_REFUSAL);
      const mintsBefore = github.log.mints.length;

      expectAuditRefusal(await post(readCall()));
      expectAuditRefusal(await post([readCall(), readCall(), readCall()]));
      expect(github.log.mints.length - mintsBefore).toBe(0);

      // Past the window the log may let a write try again; the sink is still down, so still nothing is minted.
      for (let window = 0; window < 3; window++) {
        await sleep(RETRY_WINDOW_MS + 300);
        expectAuditRefusal(await post(readCall()));
        expect(github.log.mints.length - mintsBefore).toBe(0);
      }
    } finally {
      aws.faults.clear({ service: "logs" });
    }
  }, 30_000);

  it("serves calls again once the sink is back", async () => {
    await sleep(RETRY_WINDOW_MS + 300);
    const before = github.log.mints.length;
    let answer = await post(readCall());
    // The first call after recovery may still be refused while the log proves the sink; the next one is served.
    if (answer.status === 503) answer = await post(readCall());
    expect(answer.status, answer.text).toBe(200);
    expect(messages(answer.json)[0]?.error).toBeUndefined();
    expect(github.log.mints.length - before).toBe(1);
  }, 15_000);
});
