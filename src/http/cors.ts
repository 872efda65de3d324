import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { HttpEnv } from "./types.ts";

/** CORS for the Protected Resource Metadata: public, read-only, any origin and request headers. */
export function metadataCors(): MiddlewareHandler<HttpEnv> {
  // An empty allowHeaders makes hono echo Access-Control-Request-Headers (e.g. mcp-protocol-version).
  return cors({ origin: "*", allowMethods: ["GET", "HEAD", "OPTIONS"], allowHeaders: [], maxAge: 86_400 });
}

/**
 * CORS for `/mcp`, only for the listed browser origins (never `*`). The headers are also on 401/403/429
 * answers so a browser client can read `WWW-Authenticate` and start discovery.
 */
export function mcpCors(allowedOrigins: string[]): MiddlewareHandler<HttpEnv> {
  return cors({
    origin: allowedOrigins,
    allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
    allowHeaders: [
      "Authorization",
      "Content-Type",
      "Accept",
      "Mcp-Session-Id",
      "Mcp-Protocol-Version",
      "Last-Event-ID",
      "X-API-Key",
      "X-Request-Id",
    ],
    exposeHeaders: [
      "Mcp-Session-Id",
      "Mcp-Protocol-Version",
      "WWW-Authenticate",
      "Retry-After",
      "X-Request-Id",
    ],
    maxAge: 600,
  });
}
