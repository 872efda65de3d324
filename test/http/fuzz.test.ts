import fc from "fast-check";
import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInlineApiKeyStore } from "../../src/auth/api-key-store.ts";
import { createApiKeyVerifier, generateApiKey } from "../../src/auth/api-keys.ts";
import { createOidcVerifier } from "../../src/auth/oidc-verifier.ts";
import { accessTokenClaims, type StubIssuer, startStubIssuer } from "../auth/stub-issuer.ts";
import { type ServedApp, serveApp, TOOLS_LIST } from "./harness.ts";

// Reliability anchors F4: generated Authorization headers and JSON-RPC bodies never produce a 5xx, and a
// generated credential never reaches the handler.
const SCOPE = "mcp:tools";
const key = generateApiKey();
let stub: StubIssuer;
let served: ServedApp;
let token: string;

beforeAll(async () => {
  stub = await startStubIssuer();
  served = await serveApp(async (publicUrl) => ({
    auth: {
      verifier: createOidcVerifier({ issuer: stub.issuer, audiences: [`${publicUrl}/mcp`] }),
      apiKeys: createApiKeyVerifier({
        store: createInlineApiKeyStore(
          JSON.stringify([{ id: key.id, hash: key.hash, principal: { sub: "svc:fuzz" } }]),
        ),
        defaultScopes: [SCOPE],
      }),
      requiredScopes: [SCOPE],
    },
    rateLimit: { points: 1_000_000, failedAuth: { points: 1_000_000 } },
  }));
  token = await stub.sign(accessTokenClaims(stub.issuer, served.mcpUrl));
});
afterAll(async () => {
  await served.close();
  await stub.close();
});

function post(headers: Record<string, string>, body: string): Promise<Response> {
  const app = served.http.app as unknown as Hono;
  return Promise.resolve(
    app.request(served.mcpUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        ...headers,
      },
      body,
    }),
  );
}

// Header values: visible ASCII plus space and tab (anything else cannot be sent in an HTTP header).
const headerText = fc.string({
  unit: fc.mapToConstant(
    { num: 95, build: (v) => String.fromCharCode(0x20 + v) },
    { num: 1, build: () => "\t" },
  ),
  maxLength: 200,
});

describe("fuzzing the HTTP guards", () => {
  it("answers any generated Authorization or X-API-Key value with 4xx and never runs the handler", async () => {
    const segment = fc.string({
      unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".split("")),
      maxLength: 60,
    });
    const credential = fc.oneof(
      headerText,
      headerText.map((t) => `Bearer ${t}`),
      headerText.map((t) => `bearer\t${t}`),
      headerText.map((t) => `Bearer rg_${t}`),
      fc.tuple(segment, segment, segment).map(([a, b, c]) => `Bearer ${a}.${b}.${c}`),
      fc.tuple(segment, segment).map(([id, secret]) => `Bearer rg_${id}_${secret}`),
      segment.map((s) => `Bearer ${token.split(".").slice(0, 2).join(".")}.${s}`),
    );
    const before = served.calls.length;
    await fc.assert(
      fc.asyncProperty(credential, fc.boolean(), async (value, asApiKeyHeader) => {
        const res = await post(
          asApiKeyHeader ? { "x-api-key": value } : { authorization: value },
          TOOLS_LIST,
        );
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 1500 },
    );
    expect(served.calls.length).toBe(before);
  });

  it("answers any generated JSON-RPC body from a valid caller without a 5xx", async () => {
    const message = fc.record(
      {
        jsonrpc: fc.constant("2.0"),
        id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
        method: fc.oneof(
          fc.constantFrom("tools/call", "tools/list", "initialize", "constructor", "__proto__", "toString"),
          fc.string(),
        ),
        params: fc.oneof(
          fc.jsonValue(),
          fc.record({ name: fc.oneof(fc.string(), fc.constant("admin_thing")) }),
        ),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.json(),
      message.map((m) => JSON.stringify(m)),
      fc.array(message, { maxLength: 120 }).map((m) => JSON.stringify(m)),
      fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const res = await post({ authorization: `Bearer ${token}` }, text);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 1500 },
    );
  });
});
