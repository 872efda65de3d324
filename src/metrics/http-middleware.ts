import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Metrics } from "./metrics.ts";

/** Paths that matched no route are labelled as one series, so scanners cannot mint new label values. */
const UNMATCHED = "unmatched";

/** Hono middleware recording every request's method, route pattern (never the raw URL), status and latency. */
export function httpMetrics(metrics: Pick<Metrics, "recordHttpRequest">): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      // After next(), the route index points at the handler that answered.
      const route = routePath(c);
      const matched = route !== "*" && route !== "/*" && c.res.status !== 404;
      metrics.recordHttpRequest({
        method: c.req.method,
        route: matched ? route : UNMATCHED,
        status: c.res.status,
        durationMs: performance.now() - started,
      });
    }
  };
}
