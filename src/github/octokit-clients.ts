import { createAppAuth } from "@octokit/auth-app";
import { Octokit as CoreOctokit } from "@octokit/core";
import { Octokit as RestOctokit } from "@octokit/rest";
import type { AppJwtProvider } from "./app-jwt.ts";
import { ResponseTooLargeError } from "./errors.ts";
import { nativeJsonBodies, UNPARSED_BODIES } from "./native-json-bodies.ts";
import type { UpstreamLanes } from "./upstream-lanes.ts";
import { type UpstreamPolicy, upstreamPolicyPlugin } from "./upstream-policy.ts";

/** How the broker reacts to GitHub's rate limits and server errors. */
export interface UpstreamRetryOptions {
  /** Retries of 5xx (and network) failures. Default 3. */
  retries?: number;
  /** Retry n waits n² × this many ms (plugin-retry's schedule). Default 1000; tests use a few ms. */
  retryAfterBaseMs?: number;
  /** Secondary rate limits (403/429 with retry-after) are retried this many times. Default 2. */
  secondaryRateLimitRetries?: number;
  /** Primary rate limit exhaustion (x-ratelimit-remaining: 0) is retried this many times. Default 1. */
  rateLimitRetries?: number;
  /** Never wait longer than this for a rate limit to clear; fail instead. Default 60 s. */
  maxRetryAfterSeconds?: number;
  /**
   * Token mints in flight at once. plugin-throttling ran them one at a time, which caps a process at
   * 1/mint-latency tool calls per second (~7/s at 150 ms). Default 8.
   */
  mintConcurrency?: number;
}

/** The logger octokit writes its warnings to (auth-app). */
export interface OctokitLog {
  debug: (message: string, info?: object) => unknown;
  info: (message: string, info?: object) => unknown;
  warn: (message: string, info?: object) => unknown;
  error: (message: string, info?: object) => unknown;
}

export interface ClientOptions extends UpstreamRetryOptions {
  baseUrl: string;
  /** Concurrency caps and spacing shared by every octokit of one broker (per installation, per App). */
  lanes: UpstreamLanes;
  /**
   * The HTTP client every octokit of one broker sends through: one keep-alive pool, with the per-request
   * timeout and the response size cap (`createPooledFetch`).
   */
  fetch: typeof fetch;
  userAgent?: string;
  log?: OctokitLog;
  /** Told about every HTTP response from GitHub (status and headers, never the request), for metrics. */
  onResponse?: GitHubResponseObserver;
}

/** Sees each GitHub response's status and headers (rate-limit counters); the installation when known. */
export type GitHubResponseObserver = (
  response: { status: number; headers: Record<string, string> },
  installationId?: number,
) => void;

/** The octokit a `withToken` callback receives: REST methods plus repogate's rate-limit and retry policy. */
export const NarrowedOctokit = RestOctokit.plugin(nativeJsonBodies, responseCapErrors, upstreamPolicyPlugin);
export type NarrowedOctokit = InstanceType<typeof NarrowedOctokit>;

const AppOctokitClass = CoreOctokit.plugin(nativeJsonBodies, responseCapErrors, upstreamPolicyPlugin);
/** See createRevocationOctokit. */
const RevocationOctokit = CoreOctokit.plugin(nativeJsonBodies);
/** The octokit authenticated as the App itself (JWT): mints tokens and resolves installations. */
export type AppOctokit = InstanceType<typeof AppOctokitClass>;

function upstreamPolicy(options: ClientOptions, id: string): UpstreamPolicy {
  return {
    lanes: options.lanes,
    id,
    mintConcurrency: options.mintConcurrency ?? 8,
    retries: options.retries ?? 3,
    retryAfterBaseMs: options.retryAfterBaseMs ?? 1000,
    secondaryRateLimitRetries: options.secondaryRateLimitRetries ?? 2,
    rateLimitRetries: options.rateLimitRetries ?? 1,
    maxRetryAfterSeconds: options.maxRetryAfterSeconds ?? 60,
  };
}

/**
 * Throws ResponseTooLargeError itself where octokit wrapped it in a RequestError (status 500, as for any fetch
 * failure). Registered before the upstream policy, so the policy sees it unwrapped and does not retry: the
 * body would be as large again.
 */
function responseCapErrors(octokit: CoreOctokit): Record<string, never> {
  octokit.hook.error("request", (error) => {
    const cause = (error as { cause?: unknown }).cause;
    throw cause instanceof ResponseTooLargeError ? cause : error;
  });
  return {};
}

/** `upstream` plus a report of each response's status and rate-limit headers to the observer. */
function observedFetch(
  upstream: typeof fetch,
  onResponse: GitHubResponseObserver,
  installationId?: number,
): typeof fetch {
  return async (input, init) => {
    const response = await upstream(input, init);
    const headers: Record<string, string> = {};
    for (const name of ["x-ratelimit-remaining", "x-ratelimit-limit", "x-ratelimit-resource"]) {
      const value = response.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    onResponse({ status: response.status, headers }, installationId);
    return response;
  };
}

function common(options: ClientOptions, installationId?: number) {
  return {
    baseUrl: options.baseUrl,
    request: {
      ...UNPARSED_BODIES,
      fetch: options.onResponse
        ? observedFetch(options.fetch, options.onResponse, installationId)
        : options.fetch,
    },
    userAgent: options.userAgent ?? "repogate",
    ...(options.log ? { log: options.log } : {}),
  };
}

/** An octokit authenticated as the App through auth-app's `createJwt` seam (no private key in process). */
export function createAppOctokit(
  options: ClientOptions & { appId: number | string; clientId?: string | undefined; jwt: AppJwtProvider },
): AppOctokit {
  const octokit = new AppOctokitClass({
    ...common(options),
    authStrategy: createAppAuth,
    auth: {
      appId: options.appId,
      ...(options.clientId ? { clientId: options.clientId } : {}),
      createJwt: options.jwt.createJwt,
      // auth-app would otherwise cache installation tokens; repogate mints and revokes each one itself.
      cache: { get: () => "", set: () => undefined },
      ...(options.log ? { log: options.log } : {}),
    },
    upstreamPolicy: upstreamPolicy(options, `app-${options.appId}`),
  });
  octokit.hook.error("request", (error) => {
    // A rejected JWT (key rotated, App re-created) must not stay cached for the rest of its lifetime.
    if ((error as { status?: unknown }).status === 401) options.jwt.invalidate();
    throw error;
  });
  return octokit;
}

/** An octokit bound to one installation token, with GitHub's rate-limit advice and 5xx retries. */
export function createNarrowedOctokit(
  token: string,
  installationId: number,
  options: ClientOptions,
): NarrowedOctokit {
  return new NarrowedOctokit({
    ...common(options, installationId),
    auth: token,
    upstreamPolicy: upstreamPolicy(options, `installation-${installationId}`),
  });
}

/**
 * An octokit for `DELETE /installation/token` with no rate-limit policy, whose write lane would space
 * revocations a second apart; the broker retries a failed revocation itself.
 */
export function createRevocationOctokit(token: string, options: ClientOptions): CoreOctokit {
  return new RevocationOctokit({ ...common(options), auth: token });
}
