import type { MiddlewareHandler } from "hono";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from "rate-limiter-flexible";
import type { RateLimitedEvent } from "./authenticate.ts";
import { JSON_RPC_ERROR, jsonRpcError } from "./jsonrpc-error.ts";
import { requestOrigin } from "./request-id.ts";
import type { HttpEnv } from "./types.ts";

/** Rate-limit settings. Counters live in memory unless `redis` is given (needed with more than one replica). */
export interface RateLimitOptions {
  /** Requests per principal per window. Default 120. */
  points?: number;
  /** Window length in seconds. Default 60. */
  durationSec?: number;
  /** Failed authentications per client IP per window before that IP gets 429 without verification. */
  failedAuth?: { points?: number; durationSec?: number };
  /** Shared counters; on Redis errors each limiter falls back to its in-memory twin and logs a warning. */
  redis?: { url: string; keyPrefix?: string } | { client: Redis; keyPrefix?: string };
  /** How long `ready()` waits for Redis before giving up and counting in memory. Default 5 s. */
  readyTimeoutMs?: number;
  logger?: Logger;
}

/** The outcome of counting one request. */
export type RateDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterSec: number };

/** One counter family (per principal, or per IP for failed authentications). */
export interface RateLimiter {
  /** Counts `points` (default 1) for `key` and says whether that is still within the limit. */
  consume(key: string, points?: number): Promise<RateDecision>;
}

/** The limiters the HTTP app uses, and how to release their connections. */
export interface RateLimits {
  principal: RateLimiter;
  failedAuth: RateLimiter;
  /**
   * Resolves once the Redis connection is ready (immediately for memory), or after `readyTimeoutMs` with a
   * warning: an unreachable Redis must not keep the server from starting, the limiters count in memory meanwhile.
   */
  ready(): Promise<void>;
  close(): Promise<void>;
}

function retryAfter(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}

/** Redis commands slower than this count as a store failure (a hung Redis must not hang every request). */
const REDIS_COMMAND_TIMEOUT_MS = 1_000;
/** After a store failure, requests count in memory for this long before Redis is tried again. */
const STORE_RETRY_AFTER_MS = 5_000;

/**
 * Redis-backed limiter with an in-memory fallback. Decision (documented): on a Redis outage we keep limiting
 * per replica in memory rather than failing closed (refusing everyone) or open (no limit at all); each
 * replica then allows up to `points` per window, and a warning is logged at most every 30 s. After a failure
 * Redis is left alone for a few seconds, so an unresponsive Redis costs one timeout, not one per request.
 */
function insuredLimiter(
  name: string,
  primary: RateLimiterAbstract,
  fallback: RateLimiterMemory,
  logger?: Logger,
): RateLimiter {
  let lastWarning = 0;
  let primaryPausedUntil = 0;
  const onStoreError = (error: unknown) => {
    primaryPausedUntil = Date.now() + STORE_RETRY_AFTER_MS;
    if (Date.now() - lastWarning > 30_000) {
      lastWarning = Date.now();
      logger?.warn(
        { limiter: name, err: error instanceof Error ? error.message : String(error) },
        "rate-limit store unavailable, counting in memory on this replica",
      );
    }
  };
  const run = async (
    operation: (limiter: RateLimiterAbstract) => Promise<RateLimiterRes>,
    limit: number,
  ): Promise<RateDecision> => {
    let result: RateLimiterRes;
    try {
      try {
        result = await operation(Date.now() < primaryPausedUntil ? fallback : primary);
      } catch (error) {
        if (error instanceof RateLimiterRes) throw error;
        onStoreError(error);
        result = await operation(fallback);
      }
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        return { allowed: false, retryAfterSec: retryAfter(rejection.msBeforeNext) };
      }
      throw rejection;
    }
    if (result.consumedPoints > limit) {
      return { allowed: false, retryAfterSec: retryAfter(result.msBeforeNext) };
    }
    return { allowed: true, remaining: result.remainingPoints };
  };
  return {
    consume: (key, points = 1) => run((limiter) => limiter.consume(key, points), primary.points),
  };
}

/** Creates the per-principal and failed-authentication limiters (memory, or Redis with a memory fallback). */
export function createRateLimits(options: RateLimitOptions = {}): RateLimits {
  const principalOpts = { points: options.points ?? 120, duration: options.durationSec ?? 60 };
  const failedOpts = {
    points: options.failedAuth?.points ?? 20,
    duration: options.failedAuth?.durationSec ?? 60,
  };
  if (!options.redis) {
    const principal = new RateLimiterMemory({ ...principalOpts, keyPrefix: "principal" });
    const failed = new RateLimiterMemory({ ...failedOpts, keyPrefix: "authfail" });
    return {
      principal: insuredLimiter("principal", principal, principal),
      failedAuth: insuredLimiter("failed-auth", failed, failed),
      ready: async () => {},
      close: async () => {},
    };
  }

  const ownsClient = "url" in options.redis;
  const client =
    "url" in options.redis
      ? new Redis(options.redis.url, {
          // Fail fast while disconnected so requests fall back to memory instead of queueing.
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          connectTimeout: 2_000,
          commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
        })
      : options.redis.client;
  if (ownsClient) {
    client.on("error", (error: Error) =>
      options.logger?.debug({ err: error.message }, "redis connection error"),
    );
  }
  const prefix = options.redis.keyPrefix ?? "repogate:rl";
  const redisLimiter = (opts: { points: number; duration: number }, name: string) =>
    new RateLimiterRedis({
      ...opts,
      storeClient: client,
      keyPrefix: `${prefix}:${name}`,
      rejectIfRedisNotReady: true,
    });
  return {
    principal: insuredLimiter(
      "principal",
      redisLimiter(principalOpts, "principal"),
      new RateLimiterMemory({ ...principalOpts, keyPrefix: "principal" }),
      options.logger,
    ),
    failedAuth: insuredLimiter(
      "failed-auth",
      redisLimiter(failedOpts, "authfail"),
      new RateLimiterMemory({ ...failedOpts, keyPrefix: "authfail" }),
      options.logger,
    ),
    ready: () => {
      if (client.status === "ready") return Promise.resolve();
      const timeoutMs = options.readyTimeoutMs ?? 5_000;
      return new Promise<void>((resolve) => {
        const done = (warning?: string) => {
          clearTimeout(timer);
          client.off("ready", onReady);
          client.off("end", onEnd);
          if (warning) options.logger?.warn({ timeoutMs }, warning);
          resolve();
        };
        const onReady = () => done();
        const onEnd = () => done("redis connection ended before it was ready; rate limits count in memory");
        const timer = setTimeout(
          () => done("redis is not reachable yet; rate limits count in memory on this replica until it is"),
          timeoutMs,
        );
        client.once("ready", onReady);
        client.once("end", onEnd);
      });
    },
    close: async () => {
      if (ownsClient) await client.quit().catch(() => client.disconnect());
    },
  };
}

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
