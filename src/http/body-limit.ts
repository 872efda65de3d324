import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { JSON_RPC_ERROR, jsonRpcError } from "./jsonrpc-error.ts";
import type { HttpEnv } from "./types.ts";

/** Default request body cap for `/mcp`: JSON-RPC requests of this server are tiny. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Refuses bodies over `maxBytes` (declared or streamed) with 413 and a JSON-RPC error. */
export function mcpBodyLimit(maxBytes = DEFAULT_MAX_BODY_BYTES): MiddlewareHandler<HttpEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) =>
      jsonRpcError(c, 413, JSON_RPC_ERROR.invalidRequest, `Request body larger than ${maxBytes} bytes`),
  });
}
