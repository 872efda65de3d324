import { setTimeout as sleep } from "node:timers/promises";
import type { Octokit } from "@octokit/core";
import type { OctokitOptions } from "@octokit/core/types";
import type { LaneLimits, UpstreamLanes } from "./upstream-lanes.ts";

/**
 * How repogate treats GitHub's rate limits and failures: the policy of @octokit/plugin-throttling and
 * @octokit/plugin-retry (same caps, spacing, retry rules and waits), without Bottleneck, whose
 * `setTimeout(0)` hops cost ~30 ms per tool call. Requests start at once when their lane has room;
 * the only timers are the waits a retry or GitHub's spacing advice requires.
 */
export interface UpstreamPolicy {
  lanes: UpstreamLanes;
  /** Lane id: one per installation (GitHub counts limits per installation) or per App. */
  id: string;
  /** Token mints in flight at once for this id. plugin-throttling's default was 1. */
  mintConcurrency: number;
  /** Retries of 5xx and network failures; waits (n + 1)² × retryAfterBaseMs before retry n + 1. */
  retries: number;
  retryAfterBaseMs: number;
  /** Retries of a secondary or primary rate limit (counted together, as plugin-throttling does). */
  secondaryRateLimitRetries: number;
  rateLimitRetries: number;
  /** A rate limit that clears later than this is not waited for. */
  maxRetryAfterSeconds: number;
}

/** Statuses that a retry cannot fix; 403/429 rate limits are handled by the rate-limit rules instead. */
const DO_NOT_RETRY = new Set([400, 401, 403, 404, 409, 410, 422, 429, 451]);
/** plugin-throttling's wait when a secondary limit names no retry-after. */
const FALLBACK_SECONDARY_RETRY_AFTER_S = 60;

/** plugin-throttling's groups: everything shares a cap of 10, mints, writes and searches have their own. */
const GLOBAL: LaneLimits = { maxConcurrent: 10 };
const WRITE: LaneLimits = { maxConcurrent: 1, minSpacingMs: 1000 };
const SEARCH: LaneLimits = { maxConcurrent: 1, minSpacingMs: 2000 };

/** The requests GitHub counts as authentication (token mints), from plugin-throttling's `isAuthRequest`. */
function isAuthRequest(method: string, pathname: string): boolean {
  return (
    (method === "PATCH" && /^\/applications\/[^/]+\/token\/scoped$/.test(pathname)) ||
    (method === "POST" &&
      (/^\/applications\/[^/]+\/token$/.test(pathname) ||
        /^\/app\/installations\/[^/]+\/access_tokens$/.test(pathname) ||
        pathname === "/login/oauth/access_token"))
  );
}

interface RequestErrorLike {
  status?: unknown;
  message?: unknown;
  request?: unknown;
  response?: { headers?: Record<string, string | undefined> };
}

/** Seconds to wait before retrying a rate-limited request, or undefined when it is not a rate limit. */
function rateLimitWaitSeconds(error: RequestErrorLike): number | undefined {
  if (error.status !== 403 && error.status !== 429) return undefined;
  const headers = error.response?.headers ?? {};
  if (/\bsecondary rate\b/i.test(String(error.message ?? ""))) {
    return Number(headers["retry-after"]) || FALLBACK_SECONDARY_RETRY_AFTER_S;
  }
  if (headers["x-ratelimit-remaining"] === "0") {
    const resetMs = Math.trunc(Number(headers["x-ratelimit-reset"])) * 1000 || 0;
    // One second past the reset, as GitHub advises.
    return Math.max(Math.ceil((resetMs - Date.now()) / 1000) + 1, 0);
  }
  return undefined;
}

/** Counts of the retries one request has made so far. */
interface Attempts {
  serverErrors: number;
  rateLimits: number;
}

/** Milliseconds to wait before retrying after `error`, or undefined when it must be thrown. */
function retryDelayMs(error: unknown, attempts: Attempts, policy: UpstreamPolicy): number | undefined {
  const e = (error ?? {}) as RequestErrorLike;
  const wait = rateLimitWaitSeconds(e);
  if (wait !== undefined) {
    const secondary = /\bsecondary rate\b/i.test(String(e.message ?? ""));
    const allowed = secondary ? policy.secondaryRateLimitRetries : policy.rateLimitRetries;
    if (attempts.rateLimits >= allowed || wait > policy.maxRetryAfterSeconds) return undefined;
    attempts.rateLimits++;
    return wait * 1000;
  }
  // octokit's RequestError carries the request; network failures and timeouts are RequestErrors with status 500.
  const status = typeof e.status === "number" ? e.status : 0;
  if (e.request === undefined || status < 400 || DO_NOT_RETRY.has(status)) return undefined;
  if (attempts.serverErrors >= policy.retries) return undefined;
  attempts.serverErrors++;
  return attempts.serverErrors ** 2 * policy.retryAfterBaseMs;
}

type RequestFn = (options: RequestOptions) => Promise<unknown>;
/**
 * `request.beforeSend` (a per-request option, like the retry plugins' `request.retries`): runs as each attempt
 * leaves, after any wait for a concurrency slot or a retry's back-off, and keeps it from being sent by
 * throwing. The mint uses it to re-check that the audit trail can still record the token.
 */
type RequestOptions = { method: string; url: string; request?: { beforeSend?: () => void } };

/** Sends one request through the lanes its kind belongs to. */
async function sendInLanes(
  policy: UpstreamPolicy,
  request: RequestFn,
  options: RequestOptions,
  isRetry: boolean,
): Promise<unknown> {
  const method = options.method.toUpperCase();
  const { pathname } = new URL(options.url, "http://github.invalid");
  const auth = isAuthRequest(method, pathname);
  const { lanes, id } = policy;
  // Writes and searches only gate their start (spacing), then run under the shared cap, like the plugin.
  if (!auth && method !== "GET" && method !== "HEAD") {
    await lanes.run(`write:${id}`, WRITE, async () => undefined, isRetry);
  } else if (method === "GET" && pathname.startsWith("/search/")) {
    await lanes.run(`search:${id}`, SEARCH, async () => undefined, isRetry);
  }
  const lane = auth ? `auth:${id}` : `global:${id}`;
  const limits = auth ? { maxConcurrent: policy.mintConcurrency } : GLOBAL;
  return await lanes.run(
    lane,
    limits,
    () => {
      options.request?.beforeSend?.();
      return request(options);
    },
    isRetry,
  );
}

/**
 * An octokit plugin applying `UpstreamPolicy` to every request (options under `upstreamPolicy`).
 * Retries skip the concurrency caps, as plugin-throttling's weight-0 retries did.
 */
export function upstreamPolicyPlugin(octokit: Octokit, options: OctokitOptions) {
  const policy = (options as { upstreamPolicy?: UpstreamPolicy }).upstreamPolicy;
  if (!policy) throw new Error("upstreamPolicyPlugin needs the upstreamPolicy option");
  octokit.hook.wrap("request", async (request, requestOptions) => {
    const attempts: Attempts = { serverErrors: 0, rateLimits: 0 };
    for (;;) {
      try {
        return (await sendInLanes(
          policy,
          request as unknown as RequestFn,
          requestOptions as RequestOptions,
          attempts.serverErrors + attempts.rateLimits > 0,
        )) as Awaited<ReturnType<typeof request>>;
      } catch (error) {
        const delayMs = retryDelayMs(error, attempts, policy);
        if (delayMs === undefined) throw error;
        if (delayMs > 0) await sleep(delayMs);
      }
    }
  });
  return {};
}
