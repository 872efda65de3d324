import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** JSON-RPC error codes used at the HTTP layer (the SDK transport uses the same ones). */
export const JSON_RPC_ERROR = {
  parseError: -32700,
  invalidRequest: -32600,
  serverError: -32000,
  internalError: -32603,
} as const;

/** Answers with a JSON-RPC error object without an id, the shape MCP clients expect on transport errors. */
export function jsonRpcError(
  c: Context,
  status: ContentfulStatusCode,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return c.json({ jsonrpc: "2.0", error: { code, message }, id: null }, status, headers);
}
