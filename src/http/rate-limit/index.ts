import type { Logger } from "pino";
import type { RateLimits } from "./limiter.ts";
import { createMemoryRateLimits } from "./memory.ts";

export type { RateDecision, RateLimiter, RateLimits } from "./limiter.ts";

/** Rate-limit settings (config `rateLimit`). Counters live in memory unless `redis` is given (more than one replica). */
export interface RateLimitOptions {
  /** Requests per principal per window. Default 120. */
  points?: number;
  /** Window length in seconds. Default 60. */
  durationSec?: number;
  /** Failed authentications per client IP per window before that IP gets 429. Default 20 per 60 s. */
  failedAuth?: { points?: number; durationSec?: number };
  /** Shared counters; on Redis errors each replica counts in memory meanwhile and logs a warning. */
  redis?: { url: string };
  logger?: Logger;
}

/** The limiters for these settings, on the store they name: Redis when a URL is given, else memory. */
export function createRateLimits(options: RateLimitOptions = {}): RateLimits {
  const settings = {
    principal: { points: options.points ?? 120, durationSec: options.durationSec ?? 60 },
    failedAuth: {
      points: options.failedAuth?.points ?? 20,
      durationSec: options.failedAuth?.durationSec ?? 60,
    },
  };
  return options.redis
    ? loadingRedisRateLimits(
        import("./redis.ts").then((redis) =>
          redis.createRedisRateLimits(settings, options.redis?.url ?? "", options.logger),
        ),
      )
    : createMemoryRateLimits(settings);
}

/**
 * The Redis limits while their module (and ioredis) loads: every call waits for it. Loading starts at once, and
 * `ready()` (awaited at start-up, before the server listens) includes it, so no request waits in practice.
 */
function loadingRedisRateLimits(loading: Promise<RateLimits>): RateLimits {
  return {
    principal: { consume: async (key, points) => (await loading).principal.consume(key, points) },
    failedAuth: { consume: async (key, points) => (await loading).failedAuth.consume(key, points) },
    ready: async () => (await loading).ready(),
    close: async () => (await loading).close(),
  };
}
