import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { JSON_RPC_ERROR, jsonRpcError } from "./jsonrpc-error.ts";
import type { HttpEnv } from "./types.ts";

/** Default request body cap for `/mcp`: JSON-RPC requests of this server are tiny. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Refuses bodies over `maxBytes` (declared or streamed) with 413 and a JSON-RPC error. A declared length is
 * checked from the header alone, as hono's `bodyLimit` does (on Node the HTTP parser holds the body to it);
 * unlike `bodyLimit`, the body is not touched then, so `jsonRpcBody` reads it in one piece straight from the
 * socket instead of through a web stream. Only a body without a length (chunked) is counted as it streams in.
 */
export function mcpBodyLimit(maxBytes = DEFAULT_MAX_BODY_BYTES): MiddlewareHandler<HttpEnv> {
  const tooLarge = (c: Context<HttpEnv>) =>
    jsonRpcError(c, 413, JSON_RPC_ERROR.invalidRequest, `Request body larger than ${maxBytes} bytes`);
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    const declared = c.req.header("content-length");
    if (declared !== undefined && c.req.header("transfer-encoding") === undefined && /^\d+$/.test(declared)) {
      if (Number(declared) > maxBytes) return tooLarge(c);
      return next();
    }
    return streamed(c, next);
  };
}
