import type { MiddlewareHandler } from "hono";
import { JSON_RPC_ERROR, jsonRpcError } from "./jsonrpc-error.ts";
import { isLoopbackHostname, LOOPBACK_NAMES } from "./loopback.ts";
import type { HttpEnv } from "./types.ts";

/** Which browser origins and Host names may reach the MCP endpoint. */
export interface OriginHostGuardOptions {
  /** Exact origins (`https://inspector.corp.example`), the server's own included. A request without Origin always passes. */
  allowedOrigins: string[];
  /** Host header values (`mcp.corp.example`, `127.0.0.1:8700`), compared case-insensitively. */
  allowedHosts: string[];
  /** Told about each refusal (for the audit trail). */
  onReject?: (
    reason: "ORIGIN_NOT_ALLOWED" | "HOST_NOT_ALLOWED",
    c: Parameters<MiddlewareHandler<HttpEnv>>[0],
  ) => void;
}

/**
 * The names a public URL's server answers to: its own host, and, when it is a loopback name, every loopback
 * name on the same port (`localhost`, `127.0.0.1`, `[::1]` all reach a server bound to loopback, and clients
 * spell it either way). `host` is the Host header form (port only when not the scheme's default).
 */
function namesForPublicUrl(publicUrl: string | URL): { scheme: string; host: string; port: string }[] {
  const url = new URL(publicUrl);
  const hostname = url.hostname.toLowerCase();
  const names = isLoopbackHostname(hostname) ? LOOPBACK_NAMES : [hostname];
  return names.map((name) => ({
    scheme: url.protocol,
    host: url.port ? `${name}:${url.port}` : name,
    port: url.port,
  }));
}

/** The Host values a public URL is reached under: its host(s), and host:defaultPort spelled out. */
export function hostsForPublicUrl(publicUrl: string | URL): string[] {
  const url = new URL(publicUrl);
  const defaultPort = url.protocol === "https:" ? "443" : "80";
  return namesForPublicUrl(url).flatMap(({ host, port }) =>
    port === "" ? [host, `${host}:${defaultPort}`] : [host],
  );
}

/** The server's own origins (same-origin requests): its public URL's, and the loopback aliases of it. */
export function originsForPublicUrl(publicUrl: string | URL): string[] {
  return namesForPublicUrl(publicUrl).map(({ scheme, host }) => `${scheme}//${host}`);
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
