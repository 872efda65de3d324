import type { TokenBrokerHooks } from "./github/index.ts";
import type { ToolEvents } from "./mcp/events.ts";

/**
 * Joins broker hooks: the first set (the audit trail) is awaited and decides; later sets (metrics, logs) are
 * synchronous observers called after it. An observer that throws fails closed, as the audit hook would.
 */
export function combineBrokerHooks(
  primary: TokenBrokerHooks,
  ...observers: TokenBrokerHooks[]
): TokenBrokerHooks {
  const observe = (call: (hooks: TokenBrokerHooks) => unknown) => {
    for (const hooks of observers) void call(hooks);
  };
  return {
    beforeMint: async () => {
      await primary.beforeMint?.();
    },
    onGrant: async (grant) => {
      await primary.onGrant?.(grant);
      observe((hooks) => hooks.onGrant?.(grant));
    },
    onRevoke: async (revocation) => {
      await primary.onRevoke?.(revocation);
      observe((hooks) => hooks.onRevoke?.(revocation));
    },
    onRevokeError: async (error, revocation) => {
      observe((hooks) => hooks.onRevokeError?.(error, revocation));
      await primary.onRevokeError?.(error, revocation);
    },
  };
}

/** Joins MCP tool hooks the same way: the audit events are awaited (and may fail the call), metrics observe. */
export function combineToolEvents(primary: ToolEvents, ...observers: ToolEvents[]): ToolEvents {
  return {
    onDecision: async (event) => {
      await primary.onDecision?.(event);
      for (const events of observers) void events.onDecision?.(event);
    },
    onToolResult: async (event) => {
      for (const events of observers) void events.onToolResult?.(event);
      await primary.onToolResult?.(event);
    },
  };
}

/** The tool a JSON-RPC body calls (`tools/call` → `params.name`), or undefined for other methods and batches. */
export function toolNameOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const { method, params } = body as { method?: unknown; params?: { name?: unknown } };
  if (method !== "tools/call") return undefined;
  return typeof params?.name === "string" ? params.name.slice(0, 100) : "unknown";
}
