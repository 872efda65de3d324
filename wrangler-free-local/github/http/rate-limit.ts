/**
 * GitHub's primary rate limits: a fixed window per (resource, caller), counted on every request and
 * reported in the `x-ratelimit-*` headers. Installations get 5,000/h on `core`; code search 10/min.
 */

export type RateResource = "core" | "search" | "code_search";

export interface RateLimitSettings {
  /** Requests per hour per installation (and per App) on `core`. GitHub's minimum: 5000. */
  corePerHour: number;
  /** Code search requests per minute per caller. GitHub: 10. */
  codeSearchPerMinute: number;
  /** Other search requests per minute per caller. GitHub: 30. */
  searchPerMinute: number;
  /** Unauthenticated requests per hour per client. GitHub: 60. */
  anonymousPerHour: number;
}

export const defaultRateLimits: RateLimitSettings = {
  corePerHour: 5000,
  codeSearchPerMinute: 10,
  searchPerMinute: 30,
  anonymousPerHour: 60,
};

export interface RateLimitState {
  resource: RateResource;
  limit: number;
  used: number;
  remaining: number;
  /** Epoch seconds at which the window resets. */
  reset: number;
}

interface Window {
  limit: number;
  used: number;
  resetAt: number;
}

/** Per-caller fixed-window counters. */
export class RateLimiter {
  private windows = new Map<string, Window>();

  constructor(private readonly settings: RateLimitSettings = defaultRateLimits) {}

  /** Counts one request for `caller` on `resource` unless the window is exhausted; returns the state after it. */
  consume(caller: string, resource: RateResource, now = Date.now()): RateLimitState & { allowed: boolean } {
    const window = this.window(caller, resource, now);
    const allowed = window.used < window.limit;
    if (allowed) window.used++;
    return { ...this.describe(resource, window), allowed };
  }

  /** The current state without counting a request. */
  peek(caller: string, resource: RateResource, now = Date.now()): RateLimitState {
    return this.describe(resource, this.window(caller, resource, now));
  }

  /** Forgets all counters. */
  reset(): void {
    this.windows.clear();
  }

  private window(caller: string, resource: RateResource, now: number): Window {
    const key = `${resource}:${caller}`;
    const existing = this.windows.get(key);
    if (existing && existing.resetAt * 1000 > now) return existing;
    const anonymous = caller.startsWith("anonymous");
    const [limit, seconds] =
      resource === "code_search"
        ? [this.settings.codeSearchPerMinute, 60]
        : resource === "search"
          ? [this.settings.searchPerMinute, 60]
          : [anonymous ? this.settings.anonymousPerHour : this.settings.corePerHour, 3600];
    const fresh: Window = { limit, used: 0, resetAt: Math.floor(now / 1000) + seconds };
    this.windows.set(key, fresh);
    return fresh;
  }

  private describe(resource: RateResource, window: Window): RateLimitState {
    return {
      resource,
      limit: window.limit,
      used: window.used,
      remaining: Math.max(0, window.limit - window.used),
      reset: window.resetAt,
    };
  }
}

/** The `x-ratelimit-*` response headers for a state. */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    "x-ratelimit-limit": String(state.limit),
    "x-ratelimit-remaining": String(state.remaining),
    "x-ratelimit-reset": String(state.reset),
    "x-ratelimit-used": String(state.used),
    "x-ratelimit-resource": state.resource,
  };
}
