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
 * An installation-wide, metadata-only token used to enumerate an installation's repositories
 * (list_repositories, search_code scoping). The token never reaches a tool's output.
 */
export interface InstallationListingEvent {
  installationId: number;
  account: string;
  /** First 16 hex characters of SHA-256(token), as the broker's grants use. */
  tokenFingerprint: string;
  permissions: Record<string, string>;
  repositoryCount: number;
  revoked: boolean;
}

/**
 * Hooks the audit layer plugs into. Hooks are awaited: a hook that throws fails the tool call
 * closed (an internal error is returned), except `onToolResult`, whose failure is only logged.
 */
export interface ToolEvents {
  onDecision?(event: ToolDecisionEvent): void | Promise<void>;
  onToolResult?(event: ToolResultEvent): void | Promise<void>;
  onInstallationListing?(event: InstallationListingEvent): void | Promise<void>;
}

/** Events that go nowhere (the default until the audit layer lands). */
export const noopToolEvents: ToolEvents = Object.freeze({});
