import type { MiddlewareHandler } from "hono";
import { bearerChallenge } from "./challenge.ts";
import type { HttpEnv } from "./types.ts";

/** Which scopes a JSON-RPC message needs. */
export interface ScopeRequirements {
  /** Needed by every message, `initialize` included. */
  base: string[];
  /** Extra scopes per JSON-RPC method (`tools/call`) or per tool (`tools/call:compare_refs`). */
  byMethod?: Record<string, string[]>;
}

/** Options of the JSON-RPC scope guard. */
export interface ScopeGuardOptions {
  requirements: ScopeRequirements;
  /** Absolute URL of the path-aware Protected Resource Metadata document, as this request reached the server. */
  resourceMetadataUrl: (c: Parameters<MiddlewareHandler<HttpEnv>>[0]) => string;
  /** Scopes named in the 403 challenge besides the held and the missing ones (the connect-time scopes). */
  challengeScopes: string[];
  /** Told about each 403, with the scopes that were missing (for the audit trail and the log). */
  onRefused?: (missing: string[], c: Parameters<MiddlewareHandler<HttpEnv>>[0]) => void;
}

// Method and tool names come from the caller: only the map's own keys count, never `constructor` or `__proto__`.
function extraScopes(requirements: ScopeRequirements, key: string): string[] {
  const byMethod = requirements.byMethod;
  return byMethod && Object.hasOwn(byMethod, key) ? (byMethod[key] ?? []) : [];
}

function scopesFor(message: unknown, requirements: ScopeRequirements): string[] {
  const needed = [...requirements.base];
  if (message === null || typeof message !== "object") return needed;
  const { method, params } = message as { method?: unknown; params?: unknown };
  if (typeof method !== "string") return needed;
  needed.push(...extraScopes(requirements, method));
  if (method === "tools/call" && params !== null && typeof params === "object") {
    const name = (params as { name?: unknown }).name;
    if (typeof name === "string") needed.push(...extraScopes(requirements, `tools/call:${name}`));
  }
  return needed;
}

/**
 * Checks every message of the parsed JSON-RPC body (each element of a batch; see `jsonRpcBody`) against the
 * principal's scopes, answering 403 `insufficient_scope` before the MCP layer runs: inside the SDK a tool error
 * is a 200 result, which never triggers a client's step-up.
 */
export function jsonRpcScopeGuard(options: ScopeGuardOptions): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const body = c.get("parsedBody");
    const messages = Array.isArray(body) ? body : [body];
    const held = new Set(c.get("principal").scopes);
    const missing = new Set<string>();
    for (const message of messages) {
      for (const scope of scopesFor(message, options.requirements)) if (!held.has(scope)) missing.add(scope);
    }
    if (missing.size > 0) {
      options.onRefused?.([...missing], c);
      const description = `the request needs the scope(s): ${[...missing].join(" ")}`;
      return c.json({ error: "insufficient_scope", error_description: description }, 403, {
        "WWW-Authenticate": bearerChallenge({
          resourceMetadataUrl: options.resourceMetadataUrl(c),
          // Held + needed (checklist 15): a client that re-authorizes with this list keeps what it had.
          scopes: [...new Set([...options.challengeScopes, ...held, ...missing])],
          error: "insufficient_scope",
          errorDescription: description,
        }),
      });
    }
    await next();
  };
}
