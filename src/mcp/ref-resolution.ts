import type { NarrowedOctokit } from "../github/index.ts";
import { RefResolver as GitHubRefResolver } from "../github/index.ts";
import type { PolicyDecision, RefResolver as PolicyRefResolver } from "../policy/index.ts";
import { checkRef } from "../policy/index.ts";

/** The policy's ref questions answered through the GitHub layer's resolver, with the call's narrowed token. */
export function policyRefResolver(octokit: NarrowedOctokit, repository: string): PolicyRefResolver {
  return new GitHubRefResolver(octokit, repository);
}

/** A ref after the policy accepted it, with what to send to GitHub so the read sees what was checked. */
export interface CheckedRef {
  /** The caller's ref, `undefined` for "the default branch". */
  input: string | undefined;
  /** The ref to pass to GitHub: the checked commit SHA or branch when known, else the input. */
  pinned: string | undefined;
  decision: PolicyDecision;
}

/** Runs the policy's ref check (fail closed: a resolver error rejects) and picks the ref to read at. */
export async function checkAndPinRef(
  decision: PolicyDecision,
  ref: string | undefined,
  resolver: PolicyRefResolver,
): Promise<CheckedRef> {
  const checked = await checkRef(decision, ref, resolver);
  const outcome = checked.ref;
  // A full SHA or a branch the policy named is what the check looked at; reading it avoids a race
  // with the default branch being changed between the check and the read.
  const pinned =
    outcome?.sha && outcome.sha.length === 40
      ? outcome.sha
      : outcome?.kind === "branch" || outcome?.kind === "default-branch"
        ? (outcome.branch ?? ref)
        : ref;
  return { input: ref, pinned: pinned ?? undefined, decision: checked };
}
