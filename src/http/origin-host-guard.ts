import type { MiddlewareHandler } from "hono";
import { JSON_RPC_ERROR, jsonRpcError } from "./jsonrpc-error.ts";
import type { HttpEnv } from "./types.ts";

/** Which browser origins and Host names may reach the MCP endpoint. */
export interface OriginHostGuardOptions {
  /** Exact origins (`https://inspector.corp.example`). A request without Origin always passes. */
  allowedOrigins: string[];
  /** Host header values (`mcp.corp.example`, `127.0.0.1:8700`), compared case-insensitively. */
  allowedHosts: string[];
  /** Told about each refusal (for the audit trail). */
  onReject?: (
    reason: "ORIGIN_NOT_ALLOWED" | "HOST_NOT_ALLOWED",
    c: Parameters<MiddlewareHandler<HttpEnv>>[0],
  ) => void;
}

/** The Host values a public URL is reached under: its host, and host:defaultPort spelled out. */
export function hostsForPublicUrl(publicUrl: string | URL): string[] {
  const url = new URL(publicUrl);
  const defaultPort = url.protocol === "https:" ? "443" : "80";
  const hosts = [url.host.toLowerCase()];
  if (url.port === "") hosts.push(`${url.hostname.toLowerCase()}:${defaultPort}`);
  return hosts;
}

function normaliseOrigin(origin: string): string {
  try {
    return new URL(origin).origin.toLowerCase();
  } catch {
    // "null" and other non-URL origins are compared verbatim, so they never match an allowlisted URL.
    return origin;
  }
}

/**
 * Refuses, before authentication, a present but unlisted `Origin` (browser-borne DNS rebinding / CSRF) and a
 * `Host` outside the allowlist (DNS rebinding), with 403 and a JSON-RPC error. A missing Origin passes:
 * Claude's cloud connector and mcp-remote send none.
 */
export function originHostGuard(options: OriginHostGuardOptions): MiddlewareHandler<HttpEnv> {
  const origins = new Set(options.allowedOrigins.map(normaliseOrigin));
  const hosts = new Set(options.allowedHosts.map((h) => h.toLowerCase()));
  return async (c, next) => {
    // Runtimes that build the Request themselves (Lambda, app.request) carry the Host in the URL instead.
    const host = (c.req.header("host") ?? new URL(c.req.url).host).toLowerCase();
    if (!hosts.has(host)) {
      options.onReject?.("HOST_NOT_ALLOWED", c);
      return jsonRpcError(c, 403, JSON_RPC_ERROR.serverError, "Forbidden: Host header not allowed");
    }
    const origin = c.req.header("origin");
    if (origin !== undefined && !origins.has(normaliseOrigin(origin))) {
      options.onReject?.("ORIGIN_NOT_ALLOWED", c);
      return jsonRpcError(c, 403, JSON_RPC_ERROR.serverError, "Forbidden: Origin not allowed");
    }
    await next();
  };
}
