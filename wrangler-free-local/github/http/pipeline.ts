/**
 * The middleware every GitHub route runs behind, in GitHub's order: request id and common headers,
 * authentication, primary rate limit, then the fault switch.
 */
import { randomBytes } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { looksLikeJwt, verifyAppJwt } from "../auth/app-jwt.ts";
import type { Caller, EmulatorEnv, EmulatorState } from "./context.ts";
import { badCredentials, GitHubApiError } from "./errors.ts";
import { mediaTypeHeader, parseGitHubMediaType } from "./media-type.ts";
import { type RateResource, rateLimitHeaders } from "./rate-limit.ts";

export const CONTROL_PREFIX = "/_emulator";

/** A request id in GitHub's `XXXX:XXXXXX:XXXXXX:XXXXXX:XXXXXXXX` shape. */
export function newRequestId(): string {
  const hex = randomBytes(14).toString("hex").toUpperCase();
  return `${hex.slice(0, 4)}:${hex.slice(4, 10)}:${hex.slice(10, 16)}:${hex.slice(16, 20)}:${hex.slice(20, 28)}`;
}

/** Sets request id, base URL and media type; after the route, adds GitHub's headers and logs the request. */
export function observe(state: EmulatorState): MiddlewareHandler<EmulatorEnv> {
  return async (c, next) => {
    const started = performance.now();
    const url = new URL(c.req.url);
    const requestId = newRequestId();
    const media = parseGitHubMediaType(c.req.header("accept"));
    c.set("state", state);
    c.set("requestId", requestId);
    c.set("base", url.origin);
    c.set("media", media);
    c.set("caller", { kind: "anonymous", clientKey: "anonymous:local" });
    c.set("rate", undefined);
    c.set("faultApplied", undefined);
    await next();
    if (url.pathname.startsWith(CONTROL_PREFIX)) return;
    const headers = c.res.headers;
    headers.set("x-github-request-id", requestId);
    headers.set("x-github-api-version-selected", "2022-11-28");
    if (!headers.has("vary"))
      headers.set("vary", "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding");
    if (c.req.method === "GET" && c.res.status < 300 && !headers.has("cache-control")) {
      headers.set("cache-control", "private, max-age=60, s-maxage=60");
    }
    if (!headers.has("x-github-media-type")) headers.set("x-github-media-type", mediaTypeHeader(media));
    const rate = c.get("rate") ?? state.limiter.peek(callerKey(c.get("caller")), "core");
    for (const [name, value] of Object.entries(rateLimitHeaders(rate))) {
      if (!headers.has(name)) headers.set(name, value);
    }
    const caller = c.get("caller");
    state.log.recordRequest({
      time: new Date().toISOString(),
      requestId,
      method: c.req.method,
      path: url.pathname,
      query: url.search,
      status: c.res.status,
      // Microseconds kept: the overhead bench subtracts these medians from sub-millisecond broker figures.
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      auth: caller.kind,
      installationId: caller.kind === "installation" ? caller.token.installationId : undefined,
      tokenFingerprint: caller.kind === "installation" ? caller.token.fingerprint : undefined,
      fault: c.get("faultApplied"),
    });
  };
}

/** Reads `Authorization` (`token X`, `Bearer X`): an installation token or an App JWT; anything else is 401. */
export function authenticate(): MiddlewareHandler<EmulatorEnv> {
  return async (c, next) => {
    const state = c.get("state");
    const header = c.req.header("authorization");
    if (header) {
      const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header);
      const credential = match?.[1];
      if (!credential) throw badCredentials();
      c.set("caller", await identify(state, credential));
    } else {
      const ip = c.req.header("x-forwarded-for")?.split(",")[0]?.trim() ?? "local";
      c.set("caller", { kind: "anonymous", clientKey: `anonymous:${ip}` });
    }
    await next();
  };
}

async function identify(state: EmulatorState, credential: string): Promise<Caller> {
  if (credential.startsWith("ghs_")) {
    const token = state.tokens.lookup(credential);
    const installation = token && state.installations.byId(token.installationId);
    if (!token || !installation) throw badCredentials();
    return { kind: "installation", token, tokenValue: credential, installation };
  }
  if (looksLikeJwt(credential)) {
    const { app } = state.config;
    await verifyAppJwt(credential, { id: app.id, clientId: app.client_id }, state.appKeys.publicKeys());
    return { kind: "app" };
  }
  throw badCredentials();
}

/** The rate-limit bucket of a caller: per installation, per App, or per anonymous client. */
export function callerKey(caller: Caller): string {
  if (caller.kind === "installation") return `installation:${caller.token.installationId}`;
  if (caller.kind === "app") return "app";
  return caller.clientKey;
}

function resourceFor(path: string): RateResource {
  if (path.startsWith("/search/code")) return "code_search";
  if (path.startsWith("/search/")) return "search";
  return "core";
}

/** Counts the request against the caller's window; an exhausted window is GitHub's 403 primary limit. */
export function primaryRateLimit(): MiddlewareHandler<EmulatorEnv> {
  return async (c, next) => {
    const state = c.get("state");
    const caller = c.get("caller");
    const path = new URL(c.req.url).pathname;
    // As on GitHub, asking for the rate limit status does not count against it.
    if (path === "/rate_limit") {
      c.set("rate", state.limiter.peek(callerKey(caller), "core"));
      return next();
    }
    const rate = state.limiter.consume(callerKey(caller), resourceFor(path));
    c.set("rate", rate);
    if (!rate.allowed) throw primaryLimitError(caller, rate.reset);
    await next();
  };
}

function primaryLimitError(caller: Caller, reset: number): GitHubApiError {
  const who =
    caller.kind === "installation"
      ? `installation ID ${caller.token.installationId}`
      : caller.kind === "app"
        ? "the app"
        : "this client";
  return new GitHubApiError(
    403,
    `API rate limit exceeded for ${who}. If you reach out to GitHub Support for help, please include the request ID.`,
    {
      code: "PRIMARY_RATE_LIMIT",
      documentationUrl:
        "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit",
      headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
    },
  );
}

const SERVER_ERROR_MESSAGES: Record<number, string> = {
  503: "Service Unavailable",
  504: "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists.",
};

/** Applies the fault switch: added latency, then at most one injected failure. */
export function injectFaults(): MiddlewareHandler<EmulatorEnv> {
  return async (c, next) => {
    const state = c.get("state");
    const { latencyMs, failure, applied } = state.faults.take(c.req.method, new URL(c.req.url).pathname);
    if (applied.length > 0) c.set("faultApplied", applied.join(","));
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    if (!failure) return next();
    const requestId = c.get("requestId");
    if (failure.kind === "secondary-rate-limit") {
      const retryAfter = failure.retryAfterSeconds ?? 60;
      throw new GitHubApiError(
        failure.status ?? 403,
        `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
        {
          code: "SECONDARY_RATE_LIMIT",
          documentationUrl:
            "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
          headers: retryAfter > 0 ? { "retry-after": String(retryAfter) } : {},
        },
      );
    }
    if (failure.kind === "primary-rate-limit") {
      const rate = c.get("rate");
      const reset = Math.floor(Date.now() / 1000) + (failure.retryAfterSeconds ?? 60);
      const err = primaryLimitError(c.get("caller"), reset);
      if (rate) Object.assign(err.headers, { "x-ratelimit-used": String(rate.limit) });
      throw err;
    }
    const status = failure.status ?? 502;
    throw new GitHubApiError(status, SERVER_ERROR_MESSAGES[status] ?? "Server Error", {
      code: "INJECTED_SERVER_ERROR",
    });
  };
}
