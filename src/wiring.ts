import type { TokenBrokerHooks } from "./github/index.ts";
import type { ToolEvents } from "./mcp/events.ts";

/**
 * Joins broker hooks: the first set (the audit trail) is awaited and decides; later sets (metrics, logs) are
 * synchronous observers. They run after it on success paths (an observer that throws there fails closed, as
 * the audit hook would) and, for failures, whatever the audit hook did, so a failing audit still gets logged.
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
      try {
        await primary.onRevokeError?.(error, revocation);
      } finally {
        observe((hooks) => hooks.onRevokeError?.(error, revocation));
      }
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
      try {
        await primary.onToolResult?.(event);
      } finally {
        for (const events of observers) void events.onToolResult?.(event);
      }
    },
  };
}
