import { createHash, timingSafeEqual } from "node:crypto";
import { type Context, Hono } from "hono";
import { type ListeningServer, serveFetch } from "../http/listen.ts";
import type { PrometheusMetrics } from "./prometheus.ts";

/** The bearer token `/metrics` requires: a fixed value or a getter (e.g. a secret that may rotate). */
export type MetricsToken = string | (() => Promise<string>);

export interface MetricsHandlerOptions {
  metrics: Pick<PrometheusMetrics, "exposition" | "contentType">;
  /** Required bearer token; when absent the endpoint is open (only on a separate, private port). */
  token?: MetricsToken;
  /** Told when the token getter fails (the request is refused with 503). */
  onTokenError?: (error: unknown) => void;
}

function sameSecret(presented: string, expected: string): boolean {
  // Hash both so the comparison is constant-time whatever the lengths.
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

const NO_STORE = { "Cache-Control": "no-store" };

/** Serves the Prometheus exposition for a Web-standard request, checking the bearer token first when one is set. */
export async function serveMetrics(request: Request, options: MetricsHandlerOptions): Promise<Response> {
  if (options.token !== undefined) {
    let expected: string;
    try {
      expected = typeof options.token === "string" ? options.token : await options.token();
    } catch (error) {
      // The token cannot be checked (secret store down): refuse rather than serve unprotected.
      options.onTokenError?.(error);
      return new Response("metrics token unavailable\n", { status: 503, headers: NO_STORE });
    }
    const header = request.headers.get("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1] || expected === "" || !sameSecret(match[1], expected)) {
      return new Response("unauthorized\n", {
        status: 401,
        headers: { ...NO_STORE, "WWW-Authenticate": 'Bearer realm="metrics"' },
      });
    }
  }
  const body = await options.metrics.exposition();
  return new Response(body, {
    status: 200,
    headers: { ...NO_STORE, "Content-Type": options.metrics.contentType },
  });
}

/** A Hono handler for `GET /metrics` on the main app, protected by a bearer token when one is given. */
export function createMetricsHandler(options: MetricsHandlerOptions): (c: Context) => Promise<Response> {
  return (c) => serveMetrics(c.req.raw, options);
}

export interface MetricsServerOptions extends MetricsHandlerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1; use 0.0.0.0 in a container so the scraper can reach it. */
  host?: string;
}

/** A separate `/metrics` listener (not exposed through the load balancer). */
export type RunningMetricsServer = ListeningServer;

/** Serves only `GET /metrics` on its own port, so the public listener need not expose it at all. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<RunningMetricsServer> {
  const app = new Hono();
  app.get("/metrics", createMetricsHandler(options));
  return serveFetch(app, { host: options.host, port: options.port });
}
