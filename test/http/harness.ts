import type { Hono } from "hono";
import pino from "pino";
import type { Principal } from "../../src/auth/principal.ts";
import { createHttpApp, type HttpApp, type HttpAppOptions, type McpHandler } from "../../src/http/app.ts";
import type { AuthFailureEvent, RateLimitedEvent } from "../../src/http/authenticate.ts";
import { listen, type RunningService } from "../../wrangler-free-local/service.ts";

/** What the test double of the MCP handler saw. */
export interface HandlerCall {
  principal: Principal;
  headers: Record<string, string>;
  parsedBody: unknown;
}

/** A listening server whose Hono app is created after the port is known (the public URL needs it). */
export interface ServedApp {
  url: string;
  mcpUrl: string;
  http: HttpApp;
  calls: HandlerCall[];
  logs: string[];
  authFailures: AuthFailureEvent[];
  rateLimited: RateLimitedEvent[];
  close(): Promise<void>;
}

/** Listens first (port 0), then builds the app for that URL; `configure` gets the URL to make options. */
export async function serveApp(
  configure: (publicUrl: string) => Promise<Omit<HttpAppOptions, "publicUrl" | "mcpHandler">>,
): Promise<ServedApp> {
  let app: Hono | undefined;
  const service: RunningService = await listen("repogate-under-test", {
    fetch: (request: Request, env?: unknown) => {
      if (!app) return new Response("not ready", { status: 503 });
      return app.fetch(request, env);
    },
  } as Pick<Hono, "fetch">);
  const calls: HandlerCall[] = [];
  const logs: string[] = [];
  const authFailures: AuthFailureEvent[] = [];
  const rateLimited: RateLimitedEvent[] = [];
  const handler: McpHandler = async (c, principal) => {
    calls.push({
      principal,
      headers: Object.fromEntries(c.req.raw.headers.entries()),
      parsedBody: c.get("parsedBody"),
    });
    const body = c.get("parsedBody") as { id?: unknown };
    return c.json({ jsonrpc: "2.0", id: body?.id ?? null, result: { sub: principal.sub } });
  };
  const options = await configure(service.url);
  const http = createHttpApp({
    logger: pino({ level: "debug" }, { write: (line: string) => logs.push(line) }),
    onAuthFailure: (event) => authFailures.push(event),
    onRateLimited: (event) => rateLimited.push(event),
    ...options,
    publicUrl: service.url,
    mcpHandler: handler,
  });
  app = http.app as unknown as Hono;
  return {
    url: service.url,
    mcpUrl: `${service.url}/mcp`,
    http,
    calls,
    logs,
    authFailures,
    rateLimited,
    close: async () => {
      await service.close();
      await http.close();
    },
  };
}

/** A JSON-RPC `tools/list` request body. */
export const TOOLS_LIST = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });

/** An MCP `initialize` request body. */
export const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "test", version: "1" } },
});

/** POSTs a JSON-RPC body to `/mcp` with the given extra headers. */
export function postMcp(
  url: string,
  headers: Record<string, string> = {},
  body = TOOLS_LIST,
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body,
  });
}
