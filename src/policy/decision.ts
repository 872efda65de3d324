import type { PolicyRule } from "./load.ts";
import type { Operation } from "./schema.ts";

/** Stable decision codes; MCP and HTTP layers map these to responses in one place. */
export type DecisionCode =
  | "ALLOWED"
  | "NOT_IN_WHITELIST"
  | "GROUP_REQUIRED"
  | "EXPLICIT_DENY"
  | "OPERATION_NOT_ALLOWED"
  | "INVALID_OPERATION"
  | "INVALID_REPOSITORY_NAME"
  | "INVALID_REF"
  | "BRANCH_NOT_ALLOWED"
  | "REF_NOT_ALLOWED"
  | "REF_NOT_REACHABLE"
  | "REF_NOT_FOUND"
  | "REF_NEEDS_GITHUB";

/** How a ref was judged; `input: null` means "no ref given", i.e. the default branch. */
export interface RefOutcome {
  input: string | null;
  kind: "branch" | "default-branch" | "commit" | "tag" | "other" | "unknown";
  /** The allowed branch that permitted it: the branch itself, the default branch, or the one a commit is reachable from. */
  branch: string | null;
  /** Set when the ref is a commit SHA. */
  sha: string | null;
}

/** A rule that matched the repository but did not apply to this caller (its groups/subjects exclude them). */
export interface SkippedRule {
  ruleIndex: number;
  rulePattern: string;
  groups: readonly string[] | null;
  subjects: readonly string[] | null;
}

/** The answer to "may this principal do this operation on this repository (at this ref)?". */
export interface PolicyDecision {
  allowed: boolean;
  code: DecisionCode;
  /** One human sentence naming the rule and why. Never contains secrets; safe to show the caller. */
  reason: string;
  /** Lower-cased `owner/repo` when valid (what to audit and match on); the escaped input otherwise. */
  repository: string;
  /** The caller's spelling, escaped for display. */
  displayRepository: string;
  operation: string;
  /** Position of the deciding rule in `repositories:` (0-based), or null when no rule decided. */
  ruleIndex: number | null;
  rulePattern: string | null;
  ruleDescription: string | null;
  /** Operations the deciding rule grants ([] when no rule or an explicit deny). */
  allowedOperations: Operation[];
  /** Branches the deciding rule allows, or null when any ref is allowed. */
  allowedBranches: string[] | null;
  /** Byte cap on content returned under this decision. */
  maxFileSize: number;
  /**
   * True when the decision still depends on a ref: the caller MUST settle it (`checkRef`, or
   * `evaluateRefStatically` then `settleRefQuestion`, which may ask GitHub) before reading anything at a ref or
   * at the default branch. `allowed` here covers the repository and operation only, which is enough to mint
   * the token the resolver needs.
   */
  refCheckRequired: boolean;
  ref: RefOutcome | null;
  /** Earlier rules that matched the name but whose groups/subjects excluded the caller. */
  skippedRules: SkippedRule[];
  /** Digest of the policy that decided, for the audit trail. */
  policyDigest: string;
}

/** `repositories[2] "facebook/react"`: how reasons name a rule (the same path `policy check` uses). */
export function ruleLabel(rule: Pick<PolicyRule, "index" | "pattern">): string {
  return `repositories[${rule.index}] "${rule.pattern.source}"`;
}

/** Returns a copy of `decision` turned into a denial with `code` and `reason`, keeping the rule it names. */
export function deny(
  decision: PolicyDecision,
  code: DecisionCode,
  reason: string,
  ref: RefOutcome | null = decision.ref,
): PolicyDecision {
  return { ...decision, allowed: false, code, reason, refCheckRequired: false, ref };
}
