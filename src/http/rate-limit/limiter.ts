import { type RateLimiterAbstract, RateLimiterRes } from "rate-limiter-flexible";

/** The outcome of counting one request. */
export type RateDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterSec: number };

/** One counter family (per principal, or per IP for failed authentications). */
export interface RateLimiter {
  /** Counts `points` (default 1) for `key` and says whether that is still within the limit. */
  consume(key: string, points?: number): Promise<RateDecision>;
}

/** The limiters the HTTP app uses, whatever store keeps their counters. */
export interface RateLimits {
  principal: RateLimiter;
  failedAuth: RateLimiter;
  /**
   * Resolves once the store is connected (immediately for memory), or after a timeout with a warning: an
   * unreachable store must not keep the server from starting, the limiters count in memory meanwhile.
   */
  ready(): Promise<void>;
  /** Releases the store's connection. */
  close(): Promise<void>;
}

/** How many points one key may spend per window. */
export interface LimitSettings {
  points: number;
  durationSec: number;
}

/** The two limits, defaults applied. */
export interface RateLimitSettings {
  principal: LimitSettings;
  failedAuth: LimitSettings;
}

/** The two counter families: the name logs use, and the key prefix their counters are stored under. */
export const COUNTERS = {
  principal: { name: "principal", keyPrefix: "principal" },
  failedAuth: { name: "failed-auth", keyPrefix: "authfail" },
} as const;

/** One of COUNTERS. */
export type Counter = (typeof COUNTERS)[keyof typeof COUNTERS];

/**
 * Counts `points` for `key` on a rate-limiter-flexible limiter: over the limit it rejects with a RateLimiterRes,
 * which becomes a refusal; a store error (Redis down) is rethrown for the caller to handle.
 */
export async function consumeOn(
  limiter: RateLimiterAbstract,
  key: string,
  points: number,
): Promise<RateDecision> {
  try {
    const result = await limiter.consume(key, points);
    return { allowed: true, remaining: result.remainingPoints };
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    return { allowed: false, retryAfterSec: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
  }
}
