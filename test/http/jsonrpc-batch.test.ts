import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInlineApiKeyStore } from "../../src/auth/api-key-store.ts";
import { createApiKeyVerifier, generateApiKey } from "../../src/auth/api-keys.ts";
import { createOidcVerifier } from "../../src/auth/oidc-verifier.ts";
import type { HttpAppOptions } from "../../src/http/app.ts";
import { type StubIssuer, startStubIssuer } from "../auth/stub-issuer.ts";
import { postMcp, type ServedApp, serveApp } from "./harness.ts";

const SCOPE = "mcp:tools";
const key = generateApiKey();
const other = generateApiKey();
const records = JSON.stringify([
  { id: key.id, hash: key.hash, principal: { sub: "svc:batch", groups: [] } },
  { id: other.id, hash: other.hash, principal: { sub: "svc:other", groups: [] } },
]);

let stub: StubIssuer;
const apps: ServedApp[] = [];

async function start(extra: Partial<HttpAppOptions> = {}): Promise<ServedApp> {
  const served = await serveApp(async (publicUrl) => ({
    auth: {
      verifier: createOidcVerifier({ issuer: stub.issuer, audiences: [`${publicUrl}/mcp`] }),
      apiKeys: createApiKeyVerifier({ store: createInlineApiKeyStore(records), defaultScopes: [SCOPE] }),
      requiredScopes: [SCOPE],
    },
    ...extra,
  }));
  apps.push(served);
  return served;
}

const call = (id: number) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name: "get_file_contents", arguments: { owner: "mycompany", repo: "api", path: "README.md" } },
});
const batchOf = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => call(i + 1)));

beforeAll(async () => {
  stub = await startStubIssuer();
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await stub.close();
});

describe("JSON-RPC batches", () => {
  it("are refused with 400 / -32600 for protocol 2025-06-18 and later, naming why", async () => {
    const app = await start();
    for (const version of ["2025-06-18", "2025-11-25"]) {
      const res = await postMcp(
        app.mcpUrl,
        { "x-api-key": key.key, "mcp-protocol-version": version },
        batchOf(2),
      );
      expect(res.status, version).toBe(400);
      const body = (await res.json()) as { error: { code: number; message: string } };
      expect(body.error.code).toBe(-32600);
      expect(body.error.message).toContain("batches are not part of MCP protocol");
    }
    // A batch that initializes with a batch-less protocol is refused the same way.
    const init = JSON.stringify([
      {
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
      },
    ]);
    expect((await postMcp(app.mcpUrl, { "x-api-key": key.key }, init)).status).toBe(400);
    expect(app.calls).toHaveLength(0);
  });

  it("are accepted from older clients up to maxBatchMessages (default 10), refused above it", async () => {
    const app = await start();
    const old = { "x-api-key": key.key, "mcp-protocol-version": "2025-03-26" };
    expect((await postMcp(app.mcpUrl, old, batchOf(10))).status).toBe(200);
    const tooMany = await postMcp(app.mcpUrl, old, batchOf(11));
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({ error: { code: -32600 } });
    // No header: the spec's default (2025-03-26) still allows batching.
    expect((await postMcp(app.mcpUrl, { "x-api-key": key.key }, batchOf(3))).status).toBe(200);
    const empty = await postMcp(app.mcpUrl, old, "[]");
    expect(empty.status).toBe(400);
    expect(app.calls).toHaveLength(2);

    const wider = await start({ maxBatchMessages: 50 });
    expect((await postMcp(wider.mcpUrl, old, batchOf(50))).status).toBe(200);
  });

  it("charge every message to the caller's rate limit, so batching gains nothing over single requests", async () => {
    const app = await start({ rateLimit: { points: 25, durationSec: 60 }, maxBatchMessages: 10 });
    const old = { "x-api-key": key.key, "mcp-protocol-version": "2025-03-26" };
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await postMcp(app.mcpUrl, old, batchOf(10))).status);
    // 10 + 10 fit in 25 points; the third batch would bring it to 30.
    expect(statuses).toEqual([200, 200, 429]);
    const messages = app.calls.reduce(
      (n, c) => n + (Array.isArray(c.parsedBody) ? c.parsedBody.length : 1),
      0,
    );
    expect(messages).toBeLessThanOrEqual(25);
    expect(app.rateLimited.at(-1)).toMatchObject({ limiter: "principal", principal: { sub: "svc:batch" } });
    // Another principal keeps its own budget.
    expect((await postMcp(app.mcpUrl, { "x-api-key": other.key }, batchOf(1))).status).toBe(200);
  });
});
