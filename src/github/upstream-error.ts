import { GitHubBrokerError, GitHubUpstreamError } from "./errors.ts";

/** Installation tokens, classic and the stateless `ghs_APPID_JWT` format: no fixed length assumed. */
const TOKEN_PATTERN = /\b(?:ghs|ghp|gho|ghu|ghr|github_pat)_[A-Za-z0-9_.\-=]+/g;
/**
 * A compact JWS (an App JWT) anywhere in a string, found in two steps so the scan stays linear: the
 * candidate pattern always succeeds greedily (nothing to backtrack into), then the candidate is checked.
 * The one-step pattern /\beyJ[…]+\.[…]+\.[…]+/ is quadratic on input like "eyJ-eyJ-…" (seconds for
 * 160 KB), and redactSecrets runs over every file a tool returns.
 */
const JWT_CANDIDATE = /\beyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}/g;
const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The user-information part of a URL (`https://user:password@host`). fetch refuses such URLs with an
 * error that quotes the whole URL, so a GitHub base URL or proxy configured with credentials would
 * otherwise reach error messages verbatim.
 */
const URL_CREDENTIALS_PATTERN = /\b([a-z][a-z0-9+.-]{0,31}:\/\/)[^\s/?#@]+@/gi;

/** Replaces anything shaped like a GitHub token or a JWT with a placeholder. */
export function redactSecrets(text: string): string {
  return text
    .replace(TOKEN_PATTERN, "[REDACTED]")
    .replace(JWT_CANDIDATE, (candidate) => (JWT_SHAPE.test(candidate) ? "[REDACTED]" : candidate));
}

/**
 * `redactSecrets` plus URL credentials, for error and log text (not for file contents, where a
 * `ssh://git@host` is data the caller asked for).
 */
export function redactErrorText(text: string): string {
  return redactSecrets(text).replace(URL_CREDENTIALS_PATTERN, "$1[REDACTED]@");
}

interface OctokitLikeError {
  status?: unknown;
  message?: unknown;
  request?: { method?: unknown; url?: unknown };
  response?: { data?: unknown; url?: unknown };
}

function isOctokitRequestError(error: unknown): error is OctokitLikeError & Error {
  return (
    error instanceof Error &&
    typeof (error as OctokitLikeError).status === "number" &&
    typeof (error as OctokitLikeError).request === "object"
  );
}

/** `GET /repos/{owner}/{repo}`-style label: method plus the URL path, no query string (it may carry secrets). */
function routeOf(error: OctokitLikeError): string | undefined {
  const method = typeof error.request?.method === "string" ? error.request.method : undefined;
  const url = typeof error.request?.url === "string" ? error.request.url : undefined;
  if (!method || !url) return undefined;
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    // Not absolute: keep what precedes any query string.
    path = url.split("?")[0] ?? "";
  }
  return `${method} ${redactErrorText(path)}`;
}

/**
 * Turns an octokit RequestError (which carries the request, headers included) into a
 * GitHubUpstreamError with only status, route and GitHub's message; other errors are returned as
 * they are unless their message contains something token-shaped.
 */
export function toUpstreamError(error: unknown): unknown {
  if (error instanceof GitHubBrokerError) return error;
  if (isOctokitRequestError(error)) {
    const data = error.response?.data as { message?: unknown; documentation_url?: unknown } | undefined;
    const githubMessage =
      typeof data?.message === "string" ? data.message : String(error.message ?? "request failed");
    // octokit reports network failures and timeouts as status 500 without a response.
    const reachedGitHub = error.response !== undefined;
    return new GitHubUpstreamError({
      status: reachedGitHub ? (error.status as number) : 0,
      githubMessage: redactErrorText(githubMessage).slice(0, 500),
      route: routeOf(error),
      documentationUrl: typeof data?.documentation_url === "string" ? data.documentation_url : undefined,
    });
  }
  if (
    error instanceof Error &&
    redactErrorText(`${error.message}\n${error.stack ?? ""}`) !== `${error.message}\n${error.stack ?? ""}`
  ) {
    const safe = new Error(redactErrorText(error.message));
    safe.name = error.name;
    return safe;
  }
  return error;
}

/** Throws a redacted error if `error` (its message, stack or JSON) contains the literal `secret`. */
export function scrubSecret(error: unknown, secret: string): unknown {
  if (!(error instanceof Error)) {
    return typeof error === "string" && error.includes(secret) ? new Error("[REDACTED]") : error;
  }
  let serialized = "";
  try {
    serialized = JSON.stringify(error);
  } catch (jsonError) {
    // Circular structures cannot be serialized; message and stack are still checked below.
    serialized = jsonError instanceof Error ? jsonError.message : "";
  }
  const text = `${error.message}\n${error.stack ?? ""}\n${serialized}`;
  if (!text.includes(secret)) return error;
  const safe = new Error(error.message.split(secret).join("[REDACTED]"));
  safe.name = error.name;
  return safe;
}
