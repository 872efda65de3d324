import type { MiddlewareHandler } from "hono";
import type { RateLimitedEvent } from "./authenticate.ts";
import { JSON_RPC_ERROR, jsonRpcError } from "./jsonrpc-error.ts";
import type { RateLimiter } from "./rate-limit/index.ts";
import { requestOrigin } from "./request-id.ts";
import type { HttpEnv } from "./types.ts";

/**
 * Charges each authenticated request against its principal, one point per JSON-RPC message (a batch costs as
 * many as it holds); 429 with `Retry-After` when over the limit.
 */
export function limitPerPrincipal(
  limiter: RateLimiter,
  onRateLimited?: (event: RateLimitedEvent) => void,
): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const principal = c.get("principal");
    const decision = await limiter.consume(`${principal.via}:${principal.sub}`, c.get("messageCount") ?? 1);
    if (!decision.allowed) {
      onRateLimited?.({
        limiter: "principal",
        retryAfterSec: decision.retryAfterSec,
        principal,
        ...requestOrigin(c),
      });
      return jsonRpcError(
        c,
        429,
        JSON_RPC_ERROR.serverError,
        `Rate limit exceeded, retry in ${decision.retryAfterSec} s`,
        { "Retry-After": String(decision.retryAfterSec) },
      );
    }
    await next();
  };
}
