import type { Principal } from "../auth/principal.ts";
import type { Operation, PolicyDecision } from "../policy/index.ts";

/** How a tool call ended, as the audit trail records it. */
export type ToolOutcome = "ok" | "denied" | "error";

/** One policy decision taken by a tool (after every ref check it needed). */
export interface ToolDecisionEvent {
  principal: Principal;
  requestId: string;
  tool: string;
  /** `owner/repo` as decided (lower-cased when valid). */
  repository: string;
  operation: Operation;
  /** The ref the decision covers, `null` for "no ref" (default branch or not ref-specific). */
  ref: string | null;
  decision: PolicyDecision;
}

/** The end of one tool call. */
export interface ToolResultEvent {
  principal: Principal;
  requestId: string;
  tool: string;
  /** `owner/repo` for single-repository tools; `null` for list_repositories and search_code. */
  repository: string | null;
  outcome: ToolOutcome;
  latencyMs: number;
  /** Stable code of the denial or error (`NOT_IN_WHITELIST`, `GITHUB_UPSTREAM_ERROR`, `INTERNAL_ERROR` …). */
  errorCode?: string;
}

/**
 * Hooks the audit layer plugs into. Hooks are awaited: a hook that throws fails the tool call
 * closed (an internal error is returned), except `onToolResult`, whose failure is only logged.
 * Tokens, the repository-listing ones included, are reported by the broker's own hooks
 * (`TokenBrokerHooks.onGrant` / `onRevoke`), not here.
 */
export interface ToolEvents {
  onDecision?(event: ToolDecisionEvent): void | Promise<void>;
  onToolResult?(event: ToolResultEvent): void | Promise<void>;
}

/** Events that go nowhere (the default until the audit layer lands). */
export const noopToolEvents: ToolEvents = Object.freeze({});
