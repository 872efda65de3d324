// The policy engine's public surface: what the MCP, broker and CLI layers import.
export {
  type DecisionCode,
  type PolicyDecision,
  type RefOutcome,
  ruleLabel,
  type SkippedRule,
} from "./decision.ts";
export {
  branchAllowed,
  type DecideRequest,
  PolicyEngine,
  type PolicyPrincipal,
  type VisibleRule,
} from "./engine.ts";
export {
  formatPolicyIssue,
  InvalidRefError,
  InvalidRepositoryNameError,
  type InvalidRepositoryNameReason,
  PolicyError,
  type PolicyErrorCode,
  type PolicyIssue,
} from "./errors.ts";
export { formatBytes, formatDecision } from "./explain.ts";
export {
  loadPolicyFile,
  type ParsePolicyOptions,
  type Policy,
  type PolicyRule,
  parsePolicy,
} from "./load.ts";
export {
  compilePattern,
  matchesPattern,
  matchSegment,
  patternProblem,
  type RepositoryPattern,
} from "./matcher.ts";
export { isFullSha, looksLikeSha, type RefInput, refProblem, validateRef } from "./ref.ts";
export {
  checkRef,
  evaluateRefStatically,
  explainRefWithoutGitHub,
  type RefClassificationAnswer,
  type RefQuestion,
  type RefResolver,
  type StaticRefResult,
  settleRefQuestion,
} from "./ref-check.ts";
export {
  isValidOwner,
  isValidRepo,
  parseRepositoryName,
  type RepositoryName,
  tryParseRepositoryName,
} from "./repository-name.ts";
export { DEFAULT_MAX_FILE_SIZE, OPERATIONS, type Operation, parseByteSize } from "./schema.ts";
export { PolicyStore, type PolicyStoreOptions, type ReloadResult, type ReloadTrigger } from "./watch.ts";
