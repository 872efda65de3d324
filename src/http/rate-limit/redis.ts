import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { RateLimiterRedis } from "rate-limiter-flexible";
import {
  COUNTERS,
  type Counter,
  consumeOn,
  type LimitSettings,
  type RateLimiter,
  type RateLimitSettings,
  type RateLimits,
} from "./limiter.ts";
import { memoryLimiter } from "./memory.ts";

/** Redis commands slower than this count as a store failure (a hung Redis must not hang every request). */
const COMMAND_TIMEOUT_MS = 1_000;
/** After a store failure, requests count in memory for this long before Redis is tried again. */
const RETRY_REDIS_AFTER_MS = 5_000;
/** The store-failure warning is logged at most this often. */
const WARNING_INTERVAL_MS = 30_000;
/** How long `ready()` waits for the first connection before start-up goes on counting in memory. */
const READY_TIMEOUT_MS = 5_000;
/** Namespace of the counters in a Redis that may be shared with other applications. */
const KEY_PREFIX = "repogate:rl";

/**
 * A Redis-backed limiter with an in-memory fallback. Decision (documented): on a Redis outage we keep limiting
 * per replica in memory rather than failing closed (refusing everyone) or open (no limit at all); each replica
 * then allows up to `points` per window. After a failure Redis is left alone for a few seconds, so an
 * unresponsive Redis costs one timeout, not one per request.
 */
function redisLimiter(
  client: Redis,
  settings: LimitSettings,
  counter: Counter,
  logger?: Logger,
): RateLimiter {
  const shared = new RateLimiterRedis({
    points: settings.points,
    duration: settings.durationSec,
    storeClient: client,
    keyPrefix: `${KEY_PREFIX}:${counter.keyPrefix}`,
    rejectIfRedisNotReady: true,
  });
  const fallback = memoryLimiter(settings, counter);
  let redisPausedUntil = 0;
  let lastWarning = 0;
  const onStoreError = (error: unknown) => {
    redisPausedUntil = Date.now() + RETRY_REDIS_AFTER_MS;
    if (Date.now() - lastWarning > WARNING_INTERVAL_MS) {
      lastWarning = Date.now();
      logger?.warn(
        { limiter: counter.name, err: error instanceof Error ? error.message : String(error) },
        "rate-limit store unavailable, counting in memory on this replica",
      );
    }
  };
  return {
    async consume(key, points = 1) {
      if (Date.now() < redisPausedUntil) return await fallback.consume(key, points);
      try {
        return await consumeOn(shared, key, points);
      } catch (error) {
        onStoreError(error);
        return await fallback.consume(key, points);
      }
    },
  };
}

/** Resolves when the client is ready, or after READY_TIMEOUT_MS (or when it gives up) with a warning. */
function whenReady(client: Redis, logger?: Logger): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (warning?: string) => {
      clearTimeout(timer);
      client.off("ready", onReady);
      client.off("end", onEnd);
      if (warning) logger?.warn({ timeoutMs: READY_TIMEOUT_MS }, warning);
      resolve();
    };
    const onReady = () => done();
    const onEnd = () => done("redis connection ended before it was ready; rate limits count in memory");
    const timer = setTimeout(
      () => done("redis is not reachable yet; rate limits count in memory on this replica until it is"),
      READY_TIMEOUT_MS,
    );
    client.once("ready", onReady);
    client.once("end", onEnd);
  });
}

/**
 * Limits shared by every replica through one Redis (rate-limiter-flexible's RateLimiterRedis). ioredis is
 * imported here, on demand: a broker without Redis (one replica, `repogate local`) never loads it (~28 MB).
 */
export async function createRedisRateLimits(
  settings: RateLimitSettings,
  url: string,
  logger?: Logger,
): Promise<RateLimits> {
  const { Redis } = await import("ioredis");
  const client = new Redis(url, {
    // Fail fast while disconnected so requests fall back to memory instead of queueing.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: COMMAND_TIMEOUT_MS,
  });
  client.on("error", (error: Error) => logger?.debug({ err: error.message }, "redis connection error"));
  return {
    principal: redisLimiter(client, settings.principal, COUNTERS.principal, logger),
    failedAuth: redisLimiter(client, settings.failedAuth, COUNTERS.failedAuth, logger),
    ready: () => whenReady(client, logger),
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
