import type { MiddlewareHandler } from "hono";
import { JSON_RPC_ERROR, jsonRpcError } from "./jsonrpc-error.ts";
import type { HttpEnv } from "./types.ts";

/** The first MCP protocol revision without JSON-RPC batching (it was removed from the spec then). */
export const BATCHLESS_PROTOCOL_VERSION = "2025-06-18";

/** Default largest batch an older (pre-2025-06-18) client may send. */
export const DEFAULT_MAX_BATCH_MESSAGES = 10;

/** Options of the JSON-RPC body parser. */
export interface JsonRpcBodyOptions {
  /** Largest batch accepted from clients of protocol versions that still allow batching. Default 10. */
  maxBatchMessages?: number;
}

// Protocol versions are ISO dates, so a plain string comparison orders them.
const isBatchless = (version: unknown): boolean =>
  typeof version === "string" && /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= BATCHLESS_PROTOCOL_VERSION;

/** The protocol version a batch's own `initialize` asks for, if it holds one. */
function initializeVersion(messages: unknown[]): unknown {
  for (const message of messages) {
    if (typeof message !== "object" || message === null) continue;
    const { method, params } = message as { method?: unknown; params?: { protocolVersion?: unknown } };
    if (method === "initialize") return params?.protocolVersion;
  }
  return undefined;
}

/**
 * Reads and parses the `/mcp` POST body once, and decides whether its shape is acceptable: invalid JSON is a
 * parse error; a batch is refused from clients of protocol 2025-06-18 or later (batching is not part of that
 * protocol) and capped for older ones. Sets `parsedBody` and `messageCount`, so the rate limit can charge every
 * message of a batch and the MCP handler gets the messages without reading the body again.
 */
export function jsonRpcBody(options: JsonRpcBodyOptions = {}): MiddlewareHandler<HttpEnv> {
  const maxBatch = options.maxBatchMessages ?? DEFAULT_MAX_BATCH_MESSAGES;
  return async (c, next) => {
    const text = await c.req.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return jsonRpcError(
        c,
        400,
        JSON_RPC_ERROR.parseError,
        "Parse error: the request body is not valid JSON",
      );
    }
    if (Array.isArray(body)) {
      const version = c.req.header("mcp-protocol-version") ?? initializeVersion(body);
      if (isBatchless(version)) {
        return jsonRpcError(
          c,
          400,
          JSON_RPC_ERROR.invalidRequest,
          `Invalid Request: JSON-RPC batches are not part of MCP protocol ${String(version)} (removed in ${BATCHLESS_PROTOCOL_VERSION}); send one message per request`,
        );
      }
      if (body.length === 0) {
        return jsonRpcError(c, 400, JSON_RPC_ERROR.invalidRequest, "Invalid Request: the batch is empty");
      }
      if (body.length > maxBatch) {
        return jsonRpcError(
          c,
          400,
          JSON_RPC_ERROR.invalidRequest,
          `Invalid Request: a batch of ${body.length} messages is more than the ${maxBatch} this server accepts; send fewer per request`,
        );
      }
    }
    c.set("parsedBody", body);
    c.set("messageCount", Array.isArray(body) ? body.length : 1);
    await next();
  };
}
