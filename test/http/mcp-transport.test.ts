import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOidcVerifier } from "../../src/auth/oidc-verifier.ts";
import { createHttpApp, type HttpApp, mcpResourceUrl } from "../../src/http/app.ts";
import { listen, type RunningService } from "../../wrangler-free-local/service.ts";
import { accessTokenClaims, type StubIssuer, startStubIssuer } from "../auth/stub-issuer.ts";

// The guards in front of a real SDK transport, wired the way the integrator is expected to wire them.
let stub: StubIssuer;
let service: RunningService;
let http: HttpApp;
const seenHeaders: Record<string, string>[] = [];

beforeAll(async () => {
  stub = await startStubIssuer();
  let app: Hono | undefined;
  service = await listen("repogate-sdk", {
    fetch: (request: Request, env?: unknown) =>
      app ? app.fetch(request, env) : new Response(null, { status: 503 }),
  } as Pick<Hono, "fetch">);
  http = createHttpApp({
    publicUrl: service.url,
    auth: {
      verifier: createOidcVerifier({ issuer: stub.issuer, audiences: [mcpResourceUrl(service.url)] }),
      requiredScopes: ["mcp:tools"],
    },
    mcpHandler: async (c, principal) => {
      const server = new McpServer({ name: "repogate-test", version: "0.0.0" });
      server.registerTool("whoami", { description: "Echoes the caller" }, async (extra) => {
        seenHeaders.push(
          Object.fromEntries(
            Object.entries(extra.requestInfo?.headers ?? {}).map(([k, v]) => [k, String(v)]),
          ),
        );
        return { content: [{ type: "text", text: `${principal.sub} ${principal.groups.join(",")}` }] };
      });
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      await server.connect(transport);
      return await transport.handleRequest(c.req.raw, { parsedBody: c.get("parsedBody") });
    },
  });
  app = http.app as unknown as Hono;
});
afterAll(async () => {
  await service.close();
  await http.close();
  await stub.close();
});

describe("createHttpApp in front of the SDK's WebStandardStreamableHTTPServerTransport", () => {
  it("serves an SDK client end to end, and the tool never sees the Authorization header", async () => {
    const token = await stub.sign(accessTokenClaims(stub.issuer, mcpResourceUrl(service.url)));
    const client = new Client({ name: "test-client", version: "1" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${service.url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(["whoami"]);
    const result = await client.callTool({ name: "whoami", arguments: {} });
    expect(result.content).toEqual([{ type: "text", text: "user-123 eng" }]);
    await client.close();
    expect(seenHeaders).toHaveLength(1);
    expect(seenHeaders[0]?.authorization).toBeUndefined();
    expect(JSON.stringify(seenHeaders)).not.toContain(token.split(".")[2]);
  });

  it("lets the transport answer notifications with 202 and a bad protocol version with 400", async () => {
    const token = await stub.sign(accessTokenClaims(stub.issuer, mcpResourceUrl(service.url)));
    const headers = {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    };
    const notification = await fetch(`${service.url}/mcp`, {
      method: "POST",
      headers,
      body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
    });
    expect(notification.status).toBe(202);
    const badVersion = await fetch(`${service.url}/mcp`, {
      method: "POST",
      headers: { ...headers, "mcp-protocol-version": "1999-01-01" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(badVersion.status).toBe(400);
  });

  it("keeps the transport's protocol answers behind the guards (checklist items 42-47, 49)", async () => {
    const token = await stub.sign(accessTokenClaims(stub.issuer, mcpResourceUrl(service.url)));
    const post = (body: unknown, extra: Record<string, string> = {}) =>
      fetch(`${service.url}/mcp`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...extra,
        },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });

    const init = await post({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2099-01-01", capabilities: {}, clientInfo: { name: "t", version: "1" } },
    });
    expect(init.status).toBe(200);
    expect(((await init.json()) as { result: { protocolVersion: string } }).result.protocolVersion).toBe(
      LATEST_PROTOCOL_VERSION,
    );

    for (const version of [undefined, "2025-06-18"]) {
      const list = await post(
        { jsonrpc: "2.0", id: 2, method: "tools/list" },
        version ? { "mcp-protocol-version": version } : {},
      );
      expect(list.status, String(version)).toBe(200);
      expect(list.headers.get("content-type"), String(version)).toMatch(/^application\/json/);
    }

    const discover = await post({ jsonrpc: "2.0", id: 3, method: "server/discover" });
    expect(discover.status).toBe(200);
    expect(await discover.json()).toMatchObject({ id: 3, error: { code: -32601 } });

    const unknownTool = await post({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "nope" } });
    expect(unknownTool.status).toBe(200);
    expect(await unknownTool.json()).toMatchObject({ id: 4, result: { isError: true } });

    const list = { jsonrpc: "2.0", id: 5, method: "tools/list" };
    expect((await post(list, { "content-type": "text/plain" })).status).toBe(415);
    expect((await post(list, { accept: "application/json" })).status).toBe(406);
  });
});
