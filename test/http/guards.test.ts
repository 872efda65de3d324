import { request as httpRequest } from "node:http";
import {
  discoverOAuthProtectedResourceMetadata,
  extractWWWAuthenticateParams,
  selectResourceURL,
} from "@modelcontextprotocol/sdk/client/auth.js";
import { OAuthProtectedResourceMetadataSchema } from "@modelcontextprotocol/sdk/shared/auth.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInlineApiKeyStore } from "../../src/auth/api-key-store.ts";
import { createApiKeyVerifier, generateApiKey } from "../../src/auth/api-keys.ts";
import { createOidcVerifier } from "../../src/auth/oidc-verifier.ts";
import { accessTokenClaims, type StubIssuer, startStubIssuer } from "../auth/stub-issuer.ts";
import { INITIALIZE, postMcp, type ServedApp, serveApp, TOOLS_LIST } from "./harness.ts";

const SCOPE = "mcp:tools";
const BROWSER_ORIGIN = "https://inspector.corp.example";

let stub: StubIssuer;
let served: ServedApp;
let token: string;
const ciKey = generateApiKey();
let policyLoaded = true;
let policyChecks = 0;
/** While set, the policy check waits for it: a burst of probes then overlaps one run, however slow the machine. */
let policyGate: Promise<void> | undefined;
const READINESS_CACHE_MS = 300;

beforeAll(async () => {
  stub = await startStubIssuer();
  served = await serveApp(async (publicUrl) => ({
    auth: {
      verifier: createOidcVerifier({ issuer: stub.issuer, audiences: [`${publicUrl}/mcp`] }),
      apiKeys: createApiKeyVerifier({
        store: createInlineApiKeyStore(
          JSON.stringify([
            { id: ciKey.id, hash: ciKey.hash, principal: { sub: "svc:ci-bot", groups: ["eng"] } },
          ]),
        ),
        defaultScopes: [SCOPE],
      }),
      requiredScopes: [SCOPE],
    },
    allowedOrigins: [BROWSER_ORIGIN],
    maxBodyBytes: 64 * 1024,
    readinessChecks: {
      policy: async () => {
        policyChecks++;
        await policyGate;
        return policyLoaded;
      },
    },
    readinessCacheMs: READINESS_CACHE_MS,
  }));
  token = await stub.sign(accessTokenClaims(stub.issuer, served.mcpUrl));
});
afterAll(async () => {
  await served.close();
  await stub.close();
});

describe("Protected Resource Metadata", () => {
  it("serves a valid RFC 9728 document at the path-aware and the root URL, byte-identical", async () => {
    const pathAware = await fetch(`${served.url}/.well-known/oauth-protected-resource/mcp`);
    const root = await fetch(`${served.url}/.well-known/oauth-protected-resource`);
    expect(pathAware.status).toBe(200);
    expect(pathAware.headers.get("content-type")).toMatch(/^application\/json/);
    expect(pathAware.headers.get("cache-control")).toMatch(/max-age=\d+/);
    const text = await pathAware.text();
    expect(await root.text()).toBe(text);
    const doc = OAuthProtectedResourceMetadataSchema.parse(JSON.parse(text));
    expect(doc).toEqual({
      resource: served.mcpUrl,
      authorization_servers: [stub.issuer],
      scopes_supported: [SCOPE],
      bearer_methods_supported: ["header"],
      resource_name: "repogate",
    });
    expect((await selectResourceURL(served.mcpUrl, {} as never, doc))?.href).toBe(served.mcpUrl);
    const discovered = await discoverOAuthProtectedResourceMetadata(served.mcpUrl);
    expect(discovered.resource).toBe(served.mcpUrl);
  });

  it("is public for browsers (CORS *, preflight echoes mcp-protocol-version) and read-only", async () => {
    const preflight = await fetch(`${served.url}/.well-known/oauth-protected-resource/mcp`, {
      method: "OPTIONS",
      headers: {
        origin: "https://x.example",
        "access-control-request-method": "GET",
        "access-control-request-headers": "mcp-protocol-version",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("mcp-protocol-version");
    const get = await fetch(`${served.url}/.well-known/oauth-protected-resource/mcp`, {
      headers: { origin: "https://x.example" },
    });
    expect(get.headers.get("access-control-allow-origin")).toBe("*");
    const head = await fetch(`${served.url}/.well-known/oauth-protected-resource/mcp`, { method: "HEAD" });
    expect(head.status).toBe(200);
    const post = await fetch(`${served.url}/.well-known/oauth-protected-resource/mcp`, { method: "POST" });
    expect(post.status).toBe(405);
  });
});

describe("401 challenge", () => {
  it("answers an unauthenticated initialize, GET and DELETE with a resolvable resource_metadata", async () => {
    for (const res of [
      await postMcp(served.mcpUrl, {}, INITIALIZE),
      await fetch(served.mcpUrl, { headers: { accept: "text/event-stream" } }),
      await fetch(served.mcpUrl, { method: "DELETE" }),
    ]) {
      expect(res.status).toBe(401);
      const params = extractWWWAuthenticateParams(res);
      expect(params.resourceMetadataUrl?.href).toBe(`${served.url}/.well-known/oauth-protected-resource/mcp`);
      expect(params.scope).toBe(SCOPE);
      expect(params.error).toBeUndefined();
    }
    expect(served.calls).toHaveLength(0);
  });

  it("ignores a token in the query string (bearer_methods_supported is header only)", async () => {
    const res = await postMcp(`${served.mcpUrl}?access_token=${token}`);
    expect(res.status).toBe(401);
    expect(served.logs.join("\n")).not.toContain(token.split(".")[2]);
  });
});

describe("authenticated requests", () => {
  it("reach the handler with the principal and without any credential header", async () => {
    const before = served.calls.length;
    const res = await postMcp(served.mcpUrl, { authorization: `Bearer ${token}`, cookie: "a=b" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ result: { sub: "user-123" } });
    const call = served.calls[before];
    expect(call?.principal).toMatchObject({ sub: "user-123", via: "oidc", groups: ["eng"] });
    expect(call?.headers.authorization).toBeUndefined();
    expect(call?.headers.cookie).toBeUndefined();
    expect(call?.parsedBody).toEqual(JSON.parse(TOOLS_LIST));
  });

  it("answers GET and DELETE with 405 Allow: POST once authenticated", async () => {
    for (const method of ["GET", "DELETE"]) {
      const res = await fetch(served.mcpUrl, { method, headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
    }
  });

  it("answers invalid JSON with a JSON-RPC parse error, not a handler call", async () => {
    const before = served.calls.length;
    const res = await postMcp(served.mcpUrl, { authorization: `Bearer ${token}` }, "{not json");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: -32700 }, id: null });
    expect(served.calls.length).toBe(before);
  });

  it("answers with its own request id; a caller's plain x-request-id is kept apart, a hostile one dropped", async () => {
    const kept = await postMcp(served.mcpUrl, { "x-request-id": "req-12345678" });
    expect(kept.headers.get("x-request-id")).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(served.authFailures.at(-1)).toMatchObject({
      requestId: kept.headers.get("x-request-id"),
      clientRequestId: "req-12345678",
    });
    const hostile = await postMcp(served.mcpUrl, { "x-request-id": "x injected; log line" });
    expect(hostile.headers.get("x-request-id")).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(served.authFailures.at(-1)?.clientRequestId).toBeUndefined();
    expect(served.authFailures.at(-1)?.requestId).toBe(hostile.headers.get("x-request-id"));
  });
});

describe("scope checks before the MCP layer", () => {
  it("answers 403 insufficient_scope for a batch from a token without the scope, before any message runs", async () => {
    const before = served.calls.length;
    const noScope = await stub.sign(accessTokenClaims(stub.issuer, served.mcpUrl, { scope: "openid" }));
    const batch = JSON.stringify([
      JSON.parse(TOOLS_LIST),
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "admin_thing", arguments: {} } },
    ]);
    const res = await postMcp(served.mcpUrl, { authorization: `Bearer ${noScope}` }, batch);
    expect(res.status).toBe(403);
    const params = extractWWWAuthenticateParams(res);
    expect(params.error).toBe("insufficient_scope");
    expect(params.scope?.split(" ").sort()).toEqual(["openid", SCOPE].sort());
    expect(params.resourceMetadataUrl?.href).toBe(`${served.url}/.well-known/oauth-protected-resource/mcp`);
    expect(await res.json()).toEqual({
      error: "insufficient_scope",
      error_description: `the request needs the scope(s): ${SCOPE}`,
    });
    expect(served.calls.length).toBe(before);
  });

  it("treats method names that exist on Object.prototype as ordinary methods, not as a 500", async () => {
    for (const method of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      const res = await postMcp(
        served.mcpUrl,
        { authorization: `Bearer ${token}` },
        JSON.stringify({ jsonrpc: "2.0", id: 1, method }),
      );
      expect(res.status, method).toBe(200);
    }
  });

  it("names held and needed scopes in the 403 challenge, so re-authorizing does not drop what the client had", async () => {
    const other = await stub.sign(
      accessTokenClaims(stub.issuer, served.mcpUrl, { scope: "repo:extra offline_access" }),
    );
    const res = await postMcp(served.mcpUrl, { authorization: `Bearer ${other}` });
    expect(res.status).toBe(403);
    expect(extractWWWAuthenticateParams(res).scope?.split(" ").sort()).toEqual(
      [SCOPE, "repo:extra", "offline_access"].sort(),
    );
  });

  it("answers 403 when the token lacks the base scope", async () => {
    const before = served.calls.length;
    const noScope = await stub.sign(accessTokenClaims(stub.issuer, served.mcpUrl, { scope: "openid email" }));
    const res = await postMcp(served.mcpUrl, { authorization: `Bearer ${noScope}` }, INITIALIZE);
    expect(res.status).toBe(403);
    expect(extractWWWAuthenticateParams(res).error).toBe("insufficient_scope");
    expect(served.calls.length).toBe(before);
    // The refusal reaches the audit hook with who was refused and the request id (checklist item 23).
    const requestId = res.headers.get("x-request-id");
    expect(served.authFailures.find((e) => e.requestId === requestId)).toMatchObject({
      reason: "INSUFFICIENT_SCOPE",
      status: 403,
      credential: "bearer-jwt",
      principal: { sub: "user-123", via: "oidc" },
    });
    expect(served.logs.join("\n")).not.toContain(noScope.split(".")[2]);
  });
});

describe("API keys", () => {
  it("accepts a key as Authorization: Bearer and as X-API-Key", async () => {
    const variants: Record<string, string>[] = [
      { authorization: `Bearer ${ciKey.key}` },
      { "x-api-key": ciKey.key },
    ];
    for (const headers of variants) {
      const before = served.calls.length;
      const res = await postMcp(served.mcpUrl, headers);
      expect(res.status).toBe(200);
      expect(served.calls[before]?.principal).toEqual({
        sub: "svc:ci-bot",
        groups: ["eng"],
        via: "api-key",
        scopes: [SCOPE],
      });
      expect(served.calls[before]?.headers["x-api-key"]).toBeUndefined();
    }
  });

  it("refuses a wrong key with 401 invalid_token and never logs the key or its hash", async () => {
    const wrong = generateApiKey();
    const before = served.calls.length;
    for (const headers of <Record<string, string>[]>[
      { "x-api-key": wrong.key },
      { authorization: `Bearer ${wrong.key}` },
      { "x-api-key": "not-a-key" },
    ]) {
      const res = await postMcp(served.mcpUrl, headers);
      expect(res.status).toBe(401);
      expect(extractWWWAuthenticateParams(res).error).toBe("invalid_token");
    }
    expect(served.calls.length).toBe(before);
    const logs = served.logs.join("\n");
    for (const secret of [
      wrong.key,
      wrong.hash,
      ciKey.key,
      ciKey.hash,
      wrong.hash.slice(7),
      ciKey.hash.slice(7),
    ]) {
      expect(logs).not.toContain(secret);
    }
    expect(served.authFailures.some((e) => e.reason === "API_KEY_INVALID" && e.apiKeyId === wrong.id)).toBe(
      true,
    );
    expect(JSON.stringify(served.authFailures)).not.toContain(wrong.key);
  });
});

describe("Origin and Host guard", () => {
  it("refuses a present but unlisted Origin with 403 before authentication", async () => {
    const before = served.calls.length;
    for (const headers of <Record<string, string>[]>[
      { origin: "https://evil.example", authorization: `Bearer ${token}` },
      { origin: "https://evil.example" },
      { origin: "null" },
    ]) {
      const res = await postMcp(served.mcpUrl, headers);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32000 }, id: null });
      expect(res.headers.get("www-authenticate")).toBeNull();
    }
    expect(served.calls.length).toBe(before);
    expect(served.authFailures.some((e) => e.reason === "ORIGIN_NOT_ALLOWED")).toBe(true);
  });

  it("lets a listed Origin through with CORS headers, also on the 401", async () => {
    const ok = await postMcp(served.mcpUrl, { origin: BROWSER_ORIGIN, authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(BROWSER_ORIGIN);
    const challenge = await postMcp(served.mcpUrl, { origin: BROWSER_ORIGIN });
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get("access-control-allow-origin")).toBe(BROWSER_ORIGIN);
    expect(challenge.headers.get("access-control-expose-headers")?.toLowerCase()).toContain(
      "www-authenticate",
    );
  });

  it("answers the /mcp preflight of a listed origin without authentication", async () => {
    const res = await fetch(served.mcpUrl, {
      method: "OPTIONS",
      headers: {
        origin: BROWSER_ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type,mcp-protocol-version,mcp-session-id",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(BROWSER_ORIGIN);
    const allowed = res.headers.get("access-control-allow-headers")?.toLowerCase() ?? "";
    for (const h of ["authorization", "content-type", "mcp-protocol-version", "mcp-session-id"]) {
      expect(allowed).toContain(h);
    }
  });

  /** POSTs with a Host header of our choosing (fetch cannot set Host). */
  const postWithHost = (headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const url = new URL(served.mcpUrl);
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: "/mcp",
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            authorization: `Bearer ${token}`,
            ...headers,
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(TOOLS_LIST);
    });

  it("bound to loopback, names the resource and its metadata under the loopback name the client used", async () => {
    const port = new URL(served.mcpUrl).port;
    const get = (path: string, host: string, method = "GET") =>
      new Promise<{ status: number; body: string; challenge: string | undefined }>((resolve, reject) => {
        const req = httpRequest(
          { host: "127.0.0.1", port, path, method, headers: { host, "content-type": "application/json" } },
          (res) => {
            let body = "";
            res.on("data", (chunk) => {
              body += chunk;
            });
            res.on("end", () =>
              resolve({
                status: res.statusCode ?? 0,
                body,
                challenge: res.headers["www-authenticate"] as string | undefined,
              }),
            );
          },
        );
        req.on("error", reject);
        req.end(method === "POST" ? TOOLS_LIST : undefined);
      });
    for (const name of ["localhost", "127.0.0.1", "[::1]"]) {
      const prm = await get("/.well-known/oauth-protected-resource/mcp", `${name}:${port}`);
      expect(JSON.parse(prm.body).resource).toBe(`http://${name}:${port}/mcp`);
      const challenge = await get("/mcp", `${name}:${port}`, "POST");
      expect(challenge.status).toBe(401);
      expect(challenge.challenge).toContain(
        `resource_metadata="http://${name}:${port}/.well-known/oauth-protected-resource/mcp"`,
      );
    }
    // Any other Host gets the canonical document, never one naming the Host it sent.
    const foreign = await get("/.well-known/oauth-protected-resource/mcp", "attacker.example");
    expect(JSON.parse(foreign.body).resource).toBe(served.mcpUrl);
  });

  it("bound to loopback, serves every loopback name on its port and a same-origin Origin; refuses foreign ones", async () => {
    const port = new URL(served.mcpUrl).port;
    const cases: [Record<string, string>, number][] = [
      [{ host: `127.0.0.1:${port}` }, 200],
      [{ host: `localhost:${port}` }, 200],
      [{ host: `LOCALHOST:${port}` }, 200],
      [{ host: `[::1]:${port}` }, 200],
      [{ host: `localhost:${port}`, origin: `http://localhost:${port}` }, 200],
      [{ host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` }, 200],
      [{ host: `127.0.0.1:${port}`, origin: `http://[::1]:${port}` }, 200],
      [{ host: "attacker.example" }, 403],
      [{ host: `attacker.example:${port}` }, 403],
      [{ host: "localhost" }, 403],
      [{ host: `localhost:${Number(port) + 1}` }, 403],
      [{ host: `localhost.attacker.example:${port}` }, 403],
      [{ host: `localhost:${port}`, origin: "http://attacker.example" }, 403],
      [{ host: `localhost:${port}`, origin: `http://localhost:${Number(port) + 1}` }, 403],
      [{ host: `localhost:${port}`, origin: `https://localhost:${port}` }, 403],
    ];
    for (const [headers, expected] of cases) {
      expect(await postWithHost(headers), JSON.stringify(headers)).toBe(expected);
    }
  });
});

describe("body limit", () => {
  it("answers 413 for a declared or streamed body over the limit", async () => {
    const big = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/list",
      params: { pad: "x".repeat(70_000) },
    });
    const declared = await postMcp(served.mcpUrl, { authorization: `Bearer ${token}` }, big);
    expect(declared.status).toBe(413);
    const streamed = await fetch(served.mcpUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("x".repeat(10_000)));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });
});

describe("health", () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it("/healthz is always ok; /readyz names the failing check", async () => {
    expect(await (await fetch(`${served.url}/healthz`)).json()).toEqual({ status: "ok" });
    await sleep(READINESS_CACHE_MS + 50);
    const ready = await fetch(`${served.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { "idp-jwks": "ok", policy: "ok" } });
    policyLoaded = false;
    try {
      await sleep(READINESS_CACHE_MS + 50);
      const notReady = await fetch(`${served.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({
        status: "unavailable",
        checks: { "idp-jwks": "ok", policy: "failed" },
        failed: ["policy"],
      });
    } finally {
      policyLoaded = true;
    }
  });

  it("/readyz runs its checks once for a burst of probes (a public probe must not fan out upstream)", async () => {
    await sleep(READINESS_CACHE_MS + 50);
    const before = policyChecks;
    let open = () => {};
    policyGate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const pending = Array.from({ length: 25 }, () => fetch(`${served.url}/readyz`));
    // The one run is held open for a second, so probes slowed by a loaded machine still join it (or its cache).
    await sleep(1_000);
    open();
    policyGate = undefined;
    const probes = await Promise.all(pending);
    expect(probes.map((r) => r.status)).toEqual(Array(25).fill(200));
    expect(policyChecks - before).toBe(1);
    await sleep(READINESS_CACHE_MS + 50);
    expect((await fetch(`${served.url}/readyz`)).status).toBe(200);
    expect(policyChecks - before).toBe(2);
  });
});
