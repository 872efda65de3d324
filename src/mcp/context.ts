import type { CallRecord } from "../audit/call-record.ts";
import type { GitHubClients } from "../github/index.ts";
import type { PolicyEngine } from "../policy/index.ts";
import type { InstallationRepositoryIndex } from "./installation-repositories.ts";
import type { McpLogger } from "./logger.ts";

/** Caps the tools apply on top of the policy's `maxFileSize`. */
export interface ToolLimits {
  /** Entries returned by get_repository_tree. Default 1000. */
  treeEntries: number;
  /** Repositories one search_code call searches. Default 10. */
  searchRepositories: number;
  /** Commits listed by compare_refs. Default 100. */
  compareCommits: number;
  /** Files listed by get_commit and compare_refs. Default 300. */
  changedFiles: number;
  /** README bytes in get_repository_overview (never above the rule's maxFileSize). Default 32 KiB. */
  readmeBytes: number;
  /** Branches list_branches reads from GitHub before filtering. Default 1000. */
  branchesScanned: number;
}

export const DEFAULT_TOOL_LIMITS: ToolLimits = Object.freeze({
  treeEntries: 1000,
  searchRepositories: 10,
  compareCommits: 100,
  changedFiles: 300,
  readmeBytes: 32 * 1024,
  branchesScanned: 1000,
});

/** Everything one tool call needs. */
export interface ToolContext {
  /** The call's record: who (principal), which request and tool; decisions, grants and the result go to it. */
  record: CallRecord;
  /**
   * The policy in force when the call began: every decision of the call comes from it, so a reload in the
   * middle of a call (get_commit's second decision, search_code's many) cannot mix two policies.
   */
  policy: PolicyEngine;
  github: GitHubClients;
  repositories: InstallationRepositoryIndex;
  logger: McpLogger;
  limits: ToolLimits;
  /**
   * Set when a step of this request was refused because the audit trail cannot record (`audit`): the whole
   * request is then answered with the audit refusal, never with a (possibly partial or empty) result.
   */
  refusal: { audit?: unknown };
}
