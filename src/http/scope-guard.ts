import type { MiddlewareHandler } from "hono";
import { bearerChallenge } from "./challenge.ts";
import { JSON_RPC_ERROR, jsonRpcError } from "./jsonrpc-error.ts";
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
  resourceMetadataUrl: string;
  /** Scopes named in the 403 challenge besides the held and the missing ones (the connect-time scopes). */
  challengeScopes: string[];
  /** The SDK refuses larger batches too; refusing here keeps the guard's work bounded. */
  maxBatchSize?: number;
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
 * Parses the JSON-RPC body and checks every message (each element of a batch) against the principal's scopes,
 * answering 403 `insufficient_scope` before the MCP layer runs: inside the SDK a tool error is a 200 result,
 * which never triggers a client's step-up. Stores the parsed body as `parsedBody`.
 */
export function jsonRpcScopeGuard(options: ScopeGuardOptions): MiddlewareHandler<HttpEnv> {
  const maxBatch = options.maxBatchSize ?? 100;
  return async (c, next) => {
    const text = await c.req.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      // The caller sent invalid JSON; the JSON-RPC answer for that is a parse error, not a server fault.
      return jsonRpcError(c, 400, JSON_RPC_ERROR.parseError, "Parse error: Invalid JSON");
    }
    const messages = Array.isArray(body) ? body : [body];
    if (messages.length === 0 || messages.length > maxBatch) {
      return jsonRpcError(
        c,
        400,
        JSON_RPC_ERROR.invalidRequest,
        `Invalid Request: batch of ${messages.length}`,
      );
    }
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
          resourceMetadataUrl: options.resourceMetadataUrl,
          // Held + needed (checklist 15): a client that re-authorizes with this list keeps what it had.
          scopes: [...new Set([...options.challengeScopes, ...held, ...missing])],
          error: "insufficient_scope",
          errorDescription: description,
        }),
      });
    }
    c.set("parsedBody", body);
    // The body stream was consumed above; hand downstream a request that can still be read.
    const raw = c.req.raw;
    c.req.raw = new Request(raw.url, {
      method: raw.method,
      headers: raw.headers,
      body: text,
      signal: raw.signal,
    });
    await next();
  };
}
