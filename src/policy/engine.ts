import { deny, type PolicyDecision, ruleLabel, type SkippedRule } from "./decision.ts";
import { InvalidRepositoryNameError } from "./errors.ts";
import type { Policy, PolicyRule } from "./load.ts";
import { matchesPattern } from "./matcher.ts";
import type { RefInput } from "./ref.ts";
import { evaluateRefStatically } from "./ref-check.ts";
import { parseRepositoryName, type RepositoryName } from "./repository-name.ts";
import { OPERATIONS, type Operation } from "./schema.ts";

/** Who is asking, as far as the policy cares (a subset of the auth layer's `Principal`). */
export interface PolicyPrincipal {
  sub: string;
  email?: string | null;
  groups: readonly string[];
}

/** One question for `PolicyEngine.decide`. */
export interface DecideRequest {
  principal: PolicyPrincipal;
  /** `owner/repo` exactly as the caller sent it; validated here before anything else. */
  repository: string;
  operation: Operation;
  /** Optional ref; settled here when possible without GitHub, else `refCheckRequired` is set. */
  ref?: RefInput;
}

/** A rule as seen by one principal (for `list_repositories` and search scoping). */
export interface VisibleRule {
  ruleIndex: number;
  pattern: string;
  operations: Operation[];
  branches: string[] | null;
  maxFileSize: number;
}

function appliesTo(rule: PolicyRule, principal: PolicyPrincipal): boolean {
  if (rule.groups === null && rule.subjects === null) return true;
  const groups = Array.isArray(principal.groups) ? principal.groups : [];
  // IdP group names are compared exactly: folding case could widen a rule to a group it never named.
  if (rule.groups?.some((g) => groups.includes(g))) return true;
  // Subjects match the token's `sub` only. The email claim is not proof of identity in every IdP (Entra lets
  // users set it: the nOAuth pattern), so an email never grants a rule.
  if (rule.subjects) return rule.subjects.includes(principal.sub);
  return false;
}

/**
 * Evaluates a loaded policy. Rules are tried in order and the first rule that matches decides; a rule whose
 * `groups`/`subjects` exclude the caller does not match (it "applies only to these groups"), so a later
 * rule may still decide for them. When `groups` and `subjects` are both set, the rule applies to members
 * of any listed group and to any listed subject. No matching rule means deny ("not in whitelist").
 */
export class PolicyEngine {
  readonly policy: Policy;

  constructor(policy: Policy) {
    this.policy = policy;
  }

  /** Decides a repository + operation (+ ref when it can be settled without GitHub); never throws on bad input. */
  decide(request: DecideRequest): PolicyDecision {
    const base: PolicyDecision = {
      allowed: false,
      code: "NOT_IN_WHITELIST",
      reason: "",
      repository: "",
      displayRepository: "",
      operation: String(request.operation),
      ruleIndex: null,
      rulePattern: null,
      ruleDescription: null,
      allowedOperations: [],
      allowedBranches: null,
      maxFileSize: this.policy.defaults.maxFileSize,
      refCheckRequired: false,
      ref: null,
      skippedRules: [],
      policyDigest: this.policy.digest,
    };
    let name: RepositoryName;
    try {
      name = parseRepositoryName(request.repository);
    } catch (error) {
      if (!(error instanceof InvalidRepositoryNameError)) throw error;
      return {
        ...base,
        code: "INVALID_REPOSITORY_NAME",
        repository: error.input,
        displayRepository: error.input,
        reason: `${error.message}; it is not in the whitelist`,
      };
    }
    const named = { ...base, repository: name.canonical, displayRepository: name.fullName };
    if (!(OPERATIONS as readonly string[]).includes(request.operation)) {
      return {
        ...named,
        code: "INVALID_OPERATION",
        reason: `unknown operation ${JSON.stringify(String(request.operation))}; expected one of ${OPERATIONS.join(", ")}`,
      };
    }
    const skippedRules: SkippedRule[] = [];
    for (const rule of this.policy.rules) {
      if (!matchesPattern(rule.pattern, name)) continue;
      if (!appliesTo(rule, request.principal)) {
        skippedRules.push({
          ruleIndex: rule.index,
          rulePattern: rule.pattern.source,
          groups: rule.groups,
          subjects: rule.subjects,
        });
        continue;
      }
      return this.decideByRule(rule, { ...named, skippedRules }, request);
    }
    if (skippedRules.length > 0) {
      const why = skippedRules
        .map((s) => {
          const who = [
            s.groups ? `groups ${s.groups.join(", ")}` : null,
            s.subjects ? `subjects ${s.subjects.join(", ")}` : null,
          ];
          return `repositories[${s.ruleIndex}] "${s.rulePattern}" applies only to ${who.filter(Boolean).join(" or ")}`;
        })
        .join("; ");
      return {
        ...named,
        code: "GROUP_REQUIRED",
        skippedRules,
        reason: `${name.canonical} is not in the whitelist for this caller: ${why}`,
      };
    }
    return { ...named, reason: `${name.canonical} is not in the whitelist: no rule matches it` };
  }

  private decideByRule(rule: PolicyRule, named: PolicyDecision, request: DecideRequest): PolicyDecision {
    const decided: PolicyDecision = {
      ...named,
      ruleIndex: rule.index,
      rulePattern: rule.pattern.source,
      ruleDescription: rule.description,
      allowedOperations: [...rule.operations],
      allowedBranches: rule.branches ? [...rule.branches] : null,
      maxFileSize: rule.maxFileSize,
    };
    if (rule.operations.length === 0) {
      return deny(
        decided,
        "EXPLICIT_DENY",
        `${ruleLabel(rule)} denies every operation on ${named.repository} (operations: [])`,
      );
    }
    if (!rule.operations.includes(request.operation)) {
      return deny(
        decided,
        "OPERATION_NOT_ALLOWED",
        `${ruleLabel(rule)} does not allow ${request.operation} on ${named.repository}; it allows only ${rule.operations.join(", ")}`,
      );
    }
    const allowed: PolicyDecision = {
      ...decided,
      allowed: true,
      code: "ALLOWED",
      reason: `${ruleLabel(rule)} allows ${request.operation} on ${named.repository}`,
      refCheckRequired: rule.branches !== null,
    };
    if (request.ref === undefined) return allowed;
    const settled = evaluateRefStatically(allowed, request.ref);
    return "decision" in settled ? settled.decision : allowed;
  }

  /** The byte cap to enforce on content returned under `decision`. */
  maxFileSizeFor(decision: PolicyDecision): number {
    return decision.maxFileSize;
  }

  /** Rules that apply to this principal, in order (deny rules included: order matters for what they shadow). */
  visibleRules(principal: PolicyPrincipal): VisibleRule[] {
    return this.policy.rules
      .filter((rule) => appliesTo(rule, principal))
      .map((rule) => ({
        ruleIndex: rule.index,
        pattern: rule.pattern.source,
        operations: [...rule.operations],
        branches: rule.branches ? [...rule.branches] : null,
        maxFileSize: rule.maxFileSize,
      }));
  }

  /** True when `principal` may perform `operation` on `repository` (ref restrictions still apply per ref). */
  mayAccess(principal: PolicyPrincipal, repository: string, operation: Operation = "read"): boolean {
    return this.decide({ principal, repository, operation }).allowed;
  }

  /** The subset of `repositories` (e.g. an installation's) the principal may perform `operation` on. */
  filterRepositories(
    principal: PolicyPrincipal,
    repositories: readonly string[],
    operation: Operation = "read",
  ): string[] {
    return repositories.filter((repository) => this.mayAccess(principal, repository, operation));
  }
}

/** True when `branch` is one the decision allows by name (for `list_branches`); any branch when unrestricted. */
export function branchAllowed(decision: PolicyDecision, branch: string): boolean {
  return decision.allowed && (decision.allowedBranches === null || decision.allowedBranches.includes(branch));
}
