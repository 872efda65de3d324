import type { Principal } from "../auth/principal.ts";

/** Per-request values the middlewares hand to each other and to the MCP handler (typed `c.get`). */
export interface HttpVariables {
  /** The broker's own id of this request (a ULID); the audit trail's `request.id`. */
  requestId: string;
  /** The caller's `x-request-id`, when it is short and plain; recorded apart from ours. */
  clientRequestId?: string;
  clientIp: string;
  /** Set by `authenticate`; present in every `/mcp` handler. */
  principal: Principal;
  /** The JSON-RPC payload as parsed by `jsonRpcBody` (a message or a batch); pass as `parsedBody`. */
  parsedBody: unknown;
  /** Messages in that payload (1, or a batch's length): what the per-principal rate limit charges. */
  messageCount: number;
}

/** The Hono environment of repogate's HTTP app. */
export interface HttpEnv {
  Variables: HttpVariables;
}
