/** `GET /rate_limit`: the caller's windows, without counting the request. */
import { Hono } from "hono";
import type { EmulatorEnv } from "../http/context.ts";
import { githubJson } from "../http/json.ts";
import { callerKey } from "../http/pipeline.ts";
import type { RateLimitState } from "../http/rate-limit.ts";

function window(state: RateLimitState) {
  return { limit: state.limit, used: state.used, remaining: state.remaining, reset: state.reset };
}

/** The rate limit status route. */
export function rateLimitRoutes(): Hono<EmulatorEnv> {
  const routes = new Hono<EmulatorEnv>();
  routes.get("/rate_limit", (c) => {
    const { limiter } = c.get("state");
    const key = callerKey(c.get("caller"));
    const core = window(limiter.peek(key, "core"));
    return githubJson(c, {
      resources: {
        core,
        search: window(limiter.peek(key, "search")),
        code_search: window(limiter.peek(key, "code_search")),
      },
      rate: core,
    });
  });
  return routes;
}
