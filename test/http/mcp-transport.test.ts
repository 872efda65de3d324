import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
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
});
