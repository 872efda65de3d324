import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import { AuthError } from "../auth/errors.ts";
import { missingScopes } from "../auth/verify-credential.ts";
import { authErrorResponse, authErrorStatus, type ChallengeContext } from "./auth-error-response.ts";
import type { AuthFailureEvent } from "./authenticate.ts";
import { requestOrigin } from "./request-id.ts";
import type { HttpEnv } from "./types.ts";

/** Options of the `requireScopes` middleware. */
export interface RequireScopesOptions {
  /** Scopes every `/mcp` message needs. */
  required: string[];
  /** Where discovery starts and the connect-time scopes, as this request reached the server. */
  challenge: (c: Context<HttpEnv>) => ChallengeContext;
  onAuthFailure?: (event: AuthFailureEvent) => void;
  logger?: Logger;
}

/**
 * Answers 403 `insufficient_scope` (via `authErrorResponse`) when the authenticated principal lacks a required
 * scope, before the MCP layer runs: inside the SDK a tool error is a 200 result, which never triggers a client's
 * step-up.
 */
export function requireScopes(options: RequireScopesOptions): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const principal = c.get("principal");
    const missing = missingScopes(principal, options.required);
    if (missing.length === 0) return await next();

    const error = new AuthError("INSUFFICIENT_SCOPE", `the request needs the scope(s): ${missing.join(" ")}`);
    options.onAuthFailure?.({
      reason: error.code,
      status: authErrorStatus(error),
      credential: principal.via === "api-key" ? "api-key" : "bearer-jwt",
      principal,
      ...requestOrigin(c),
    });
    options.logger?.info(
      { requestId: c.get("requestId"), sub: principal.sub, via: principal.via, missing },
      "request refused: insufficient scope",
    );
    const challenge = options.challenge(c);
    // Held + needed (checklist 15): a client that re-authorizes with this list keeps what it had.
    return authErrorResponse(error, {
      ...challenge,
      scopes: [...new Set([...challenge.scopes, ...principal.scopes])],
    });
  };
}
