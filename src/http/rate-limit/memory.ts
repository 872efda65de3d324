import { RateLimiterMemory } from "rate-limiter-flexible";
import {
  COUNTERS,
  type Counter,
  consumeOn,
  type LimitSettings,
  type RateLimiter,
  type RateLimitSettings,
  type RateLimits,
} from "./limiter.ts";

/** A limiter whose counters live in this process (rate-limiter-flexible's RateLimiterMemory). */
export function memoryLimiter(settings: LimitSettings, counter: Counter): RateLimiter {
  const store = new RateLimiterMemory({
    points: settings.points,
    duration: settings.durationSec,
    keyPrefix: counter.keyPrefix,
  });
  return { consume: (key, points = 1) => consumeOn(store, key, points) };
}

/** Per-replica limits: right for one replica, and what each replica falls back to while Redis is away. */
export function createMemoryRateLimits(settings: RateLimitSettings): RateLimits {
  return {
    principal: memoryLimiter(settings.principal, COUNTERS.principal),
    failedAuth: memoryLimiter(settings.failedAuth, COUNTERS.failedAuth),
    ready: async () => {},
    close: async () => {},
  };
}
