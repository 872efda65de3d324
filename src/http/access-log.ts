import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { HttpEnv } from "./types.ts";

/** One log line per request: method, path (no query string), status, latency, ids. Never headers or bodies. */
export function accessLog(logger: Logger): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const principal = c.get("principal");
    logger.info(
      {
        requestId: c.get("requestId"),
        method: c.req.method,
        // The query string may carry a token a confused client put there; the path alone is enough.
        path: c.req.path,
        status: c.res.status,
        latencyMs: Math.round(performance.now() - started),
        ip: c.get("clientIp"),
        ...(principal ? { sub: principal.sub, via: principal.via } : {}),
      },
      "request",
    );
  };
}
