import { deny, type PolicyDecision, type RefOutcome } from "./decision.ts";
import { InvalidRefError } from "./errors.ts";
import { isFullSha, looksLikeSha, type RefInput, validateRef } from "./ref.ts";

/**
 * What `checkRef` needs from GitHub, supplied by the caller (the GitHub layer implements it with the
 * narrowed token: repository metadata, `git/ref` lookups and the compare endpoint `branch...sha`, where
 * `behind` or `identical` means the commit is reachable from the branch).
 */
export interface RefResolver {
  defaultBranch(): Promise<string>;
  classifyRef(ref: string): Promise<RefClassificationAnswer>;
  isCommitReachableFrom(sha: string, branch: string): Promise<boolean>;
}

/**
 * What `classifyRef` answers. A commit should come with its full SHA: the reachability check and the read
 * then use that commit, not the abbreviation, which a branch or tag created later under the same hex name
 * would take over (git prefers ref names to abbreviated SHAs).
 */
export type RefClassificationAnswer =
  | "branch"
  | "tag"
  | "commit"
  | "unknown"
  | { kind: "commit"; sha: string };

/** What the static evaluation could not settle without GitHub. */
export type RefQuestion =
  | { kind: "default-branch" }
  | { kind: "classify"; ref: string }
  | { kind: "reachability"; sha: string };

/** Either a settled decision or the question GitHub must answer first. */
export type StaticRefResult = { decision: PolicyDecision } | { question: RefQuestion };

function label(d: PolicyDecision): string {
  return `repositories[${d.ruleIndex}] "${d.rulePattern}"`;
}

function branchList(d: PolicyDecision): string {
  return (d.allowedBranches ?? []).join(", ");
}

function allow(d: PolicyDecision, ref: RefOutcome, where: string): PolicyDecision {
  return {
    ...d,
    allowed: true,
    code: "ALLOWED",
    reason: `${label(d)} allows ${d.operation} on ${d.repository} ${where}`,
    refCheckRequired: false,
    ref,
  };
}

/**
 * Judges a ref against an allowed decision as far as possible without GitHub (syntax, listed branch names,
 * refs that are denied whatever they point to). `defaultBranch`, when known, settles the no-ref case.
 */
export function evaluateRefStatically(
  decision: PolicyDecision,
  ref: RefInput | undefined,
  options: { defaultBranch?: string } = {},
): StaticRefResult {
  if (!decision.allowed) return { decision };
  const branches = decision.allowedBranches;
  if (ref === undefined) {
    if (branches === null) {
      const outcome: RefOutcome = {
        input: null,
        kind: "default-branch",
        branch: options.defaultBranch ?? null,
        sha: null,
      };
      return { decision: { ...decision, refCheckRequired: false, ref: outcome } };
    }
    const defaultBranch = options.defaultBranch;
    if (defaultBranch === undefined) return { question: { kind: "default-branch" } };
    const outcome: RefOutcome = { input: null, kind: "default-branch", branch: defaultBranch, sha: null };
    if (branches.includes(defaultBranch)) {
      return { decision: allow(decision, outcome, `at its default branch "${defaultBranch}"`) };
    }
    return {
      decision: deny(
        decision,
        "BRANCH_NOT_ALLOWED",
        `${label(decision)} allows only the branches ${branchList(decision)}; no ref was given and the default branch of ${decision.repository} is "${defaultBranch}", which is not one of them`,
        { ...outcome, branch: null },
      ),
    };
  }
  try {
    validateRef(ref);
  } catch (error) {
    if (!(error instanceof InvalidRefError)) throw error;
    return {
      decision: deny(decision, "INVALID_REF", error.message, {
        input: error.input,
        kind: "other",
        branch: null,
        sha: null,
      }),
    };
  }
  if (branches === null) {
    const kind = isFullSha(ref) ? "commit" : "unknown";
    return {
      decision: {
        ...decision,
        refCheckRequired: false,
        ref: { input: ref, kind, branch: null, sha: kind === "commit" ? ref.toLowerCase() : null },
      },
    };
  }
  // Branch names are case-sensitive in git, so "Main" is not "main".
  if (branches.includes(ref)) {
    return {
      decision: allow(decision, { input: ref, kind: "branch", branch: ref, sha: null }, `at branch "${ref}"`),
    };
  }
  if (isFullSha(ref)) return { question: { kind: "reachability", sha: ref.toLowerCase() } };
  if (looksLikeSha(ref)) return { question: { kind: "classify", ref } };
  const fullRef = ref.startsWith("refs/") || ref === "HEAD";
  return {
    decision: deny(
      decision,
      fullRef ? "REF_NOT_ALLOWED" : "BRANCH_NOT_ALLOWED",
      fullRef
        ? `${label(decision)} allows only the branches ${branchList(decision)} (by plain name) or commits reachable from them; "${ref}" is not allowed`
        : `${label(decision)} allows only the branches ${branchList(decision)} or commits reachable from them; "${ref}" is not one of them (tags and other refs are denied)`,
      { input: ref, kind: fullRef ? "other" : "unknown", branch: null, sha: null },
    ),
  };
}

/**
 * Completes a decision for a ref (or, with `ref` undefined, for the default branch), asking the resolver
 * only what cannot be settled statically. Resolver failures reject the promise: the caller must treat
 * that as a denial (fail closed). A denied decision is returned unchanged.
 */
export async function checkRef(
  decision: PolicyDecision,
  ref: RefInput | undefined,
  resolver: RefResolver,
): Promise<PolicyDecision> {
  const first = evaluateRefStatically(decision, ref);
  return "decision" in first ? first.decision : settleRefQuestion(decision, ref, first.question, resolver);
}

/**
 * The GitHub half of `checkRef`: answers the question `evaluateRefStatically` left open for this decision and
 * ref (so a caller that already ran the static part does not run it twice). Resolver failures reject.
 */
export async function settleRefQuestion(
  decision: PolicyDecision,
  ref: RefInput | undefined,
  question: RefQuestion,
  resolver: RefResolver,
): Promise<PolicyDecision> {
  if (question.kind === "default-branch") {
    const defaultBranch = await resolver.defaultBranch();
    const settled = evaluateRefStatically(decision, undefined, { defaultBranch });
    if ("decision" in settled) return settled.decision;
    throw new Error("unreachable: default branch known but not settled");
  }
  let sha: string;
  if (question.kind === "classify") {
    const answer = await resolver.classifyRef(question.ref);
    const kind = typeof answer === "string" ? answer : answer.kind;
    if (kind !== "commit") {
      const outcome: RefOutcome = { input: question.ref, kind, branch: null, sha: null };
      if (kind === "unknown") {
        return deny(
          decision,
          "REF_NOT_FOUND",
          `ref "${question.ref}" was not found in ${decision.repository}`,
          outcome,
        );
      }
      return deny(
        decision,
        kind === "tag" ? "REF_NOT_ALLOWED" : "BRANCH_NOT_ALLOWED",
        `${label(decision)} allows only the branches ${branchList(decision)} or commits reachable from them; "${question.ref}" is a ${kind}, which is not allowed`,
        outcome,
      );
    }
    const abbreviated = question.ref.toLowerCase();
    const full = typeof answer === "string" ? undefined : answer.sha.toLowerCase();
    // Only a full SHA that extends the abbreviation is trusted; anything else keeps the caller's input.
    sha = full !== undefined && isFullSha(full) && full.startsWith(abbreviated) ? full : abbreviated;
  } else {
    sha = question.sha;
  }
  // One branch at a time, stopping at the first hit: each check is a GitHub call.
  for (const branch of decision.allowedBranches ?? []) {
    if (await resolver.isCommitReachableFrom(sha, branch)) {
      return allow(
        decision,
        { input: ref ?? null, kind: "commit", branch, sha },
        `at commit ${sha} (reachable from branch "${branch}")`,
      );
    }
  }
  return deny(
    decision,
    "REF_NOT_REACHABLE",
    `${label(decision)} allows only commits reachable from the branches ${branchList(decision)}; commit ${sha} is not reachable from any of them`,
    { input: ref ?? null, kind: "commit", branch: null, sha },
  );
}

/**
 * Static explanation for the CLI: settles what it can, and where GitHub would be needed (reachability of a
 * SHA, the default branch when not supplied) returns a denial with code REF_NEEDS_GITHUB saying so.
 */
export function explainRefWithoutGitHub(
  decision: PolicyDecision,
  ref: RefInput | undefined,
  options: { defaultBranch?: string } = {},
): PolicyDecision {
  const result = evaluateRefStatically(decision, ref, options);
  if ("decision" in result) return result.decision;
  const q = result.question;
  if (q.kind === "default-branch") {
    return deny(
      decision,
      "REF_NEEDS_GITHUB",
      `${label(decision)} allows only the branches ${branchList(decision)}; no ref was given, so the default branch of ${decision.repository} decides, and learning it needs GitHub (pass --default-branch to explain offline)`,
      { input: null, kind: "default-branch", branch: null, sha: null },
    );
  }
  const sha = q.kind === "reachability" ? q.sha : q.ref;
  return deny(
    decision,
    "REF_NEEDS_GITHUB",
    `${label(decision)} allows a commit only if it is reachable from the branches ${branchList(decision)}; "${sha}" is treated as a commit SHA and checking its reachability needs GitHub`,
    {
      input: ref ?? null,
      kind: q.kind === "reachability" ? "commit" : "unknown",
      branch: null,
      sha: q.kind === "reachability" ? sha : null,
    },
  );
}
