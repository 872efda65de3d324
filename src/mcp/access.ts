import type { NarrowedOctokit, TokenGrant } from "../github/index.ts";
import type { Operation, PolicyDecision, PolicyEngine } from "../policy/index.ts";
import { evaluateRefStatically } from "../policy/index.ts";
import type { ToolContext } from "./context.ts";
import { PolicyDeniedError } from "./errors.ts";
import { type CheckedRef, checkAndPinRef, policyRefResolver } from "./ref-resolution.ts";

/** One repository operation a tool wants to perform. */
export interface RepositoryAccessRequest {
  tool: string;
  owner: string;
  repo: string;
  operation: Operation;
  /**
   * Every ref argument the call reads at, by argument name; `undefined` means "the default branch".
   * Leave empty only when the call reads at no ref (list_branches).
   */
  refs?: Record<string, string | undefined>;
}

/** What the tool body gets once the policy allowed the call and every ref passed its check. */
export interface RepositoryAccess {
  octokit: NarrowedOctokit;
  grant: TokenGrant;
  owner: string;
  repo: string;
  /** The repository decision (after the ref checks, the last one). */
  decision: PolicyDecision;
  /**
   * The policy that made `decision`. Further decisions in the same call (get_commit's diff) must come from
   * it, not from `ctx.policy()`, which a reload in between would answer from another policy.
   */
  policy: PolicyEngine;
  /** Checked refs by argument name; use `pinned` in GitHub calls. */
  refs: Record<string, CheckedRef>;
  /** The repository's default branch (fetched at most once per call). */
  defaultBranch(): Promise<string>;
}

async function decided(
  ctx: ToolContext,
  request: RepositoryAccessRequest,
  decision: PolicyDecision,
  ref: string | null,
): Promise<void> {
  await ctx.events.onDecision?.({
    principal: ctx.principal,
    requestId: ctx.requestId,
    tool: request.tool,
    repository: decision.repository,
    operation: request.operation,
    ref,
    decision,
  });
  if (!decision.allowed) throw new PolicyDeniedError(decision);
}

/**
 * The request path of one repository tool call: policy decision, static ref checks (a denial costs no
 * token), then a token narrowed to this repository, the GitHub-backed ref checks for EVERY ref before
 * anything is read, and finally `fn`. The token is revoked when `fn` settles.
 * @throws PolicyDeniedError when the policy or a ref check refuses.
 */
export async function withRepositoryAccess<T>(
  ctx: ToolContext,
  request: RepositoryAccessRequest,
  fn: (access: RepositoryAccess) => Promise<T>,
): Promise<T> {
  const repository = `${request.owner}/${request.repo}`;
  const policy = ctx.policy();
  const decision = policy.decide({
    principal: ctx.principal,
    repository,
    operation: request.operation,
  });
  const refs = Object.entries(request.refs ?? {});
  // decided() throws PolicyDeniedError for every denial, so nothing below runs for one.
  if (!decision.allowed) await decided(ctx, request, decision, null);
  for (const [, ref] of refs) {
    const settled = evaluateRefStatically(decision, ref);
    if ("decision" in settled && !settled.decision.allowed) {
      await decided(ctx, request, settled.decision, ref ?? null);
    }
  }
  return ctx.github.broker.withToken({ repository, operation: request.operation }, async (octokit, grant) => {
    const resolver = policyRefResolver(octokit, repository);
    const checked: Record<string, CheckedRef> = {};
    let last = decision;
    for (const [name, ref] of refs) {
      const result = await checkAndPinRef(decision, ref, resolver);
      await decided(ctx, request, result.decision, ref ?? null);
      checked[name] = result;
      last = result.decision;
    }
    if (refs.length === 0) await decided(ctx, request, decision, null);
    return fn({
      octokit,
      grant,
      owner: request.owner,
      repo: request.repo,
      decision: last,
      policy,
      refs: checked,
      defaultBranch: () => resolver.defaultBranch(),
    });
  });
}

/** The ref a read actually used, for output headers: the pinned ref, or the default branch. */
export async function readAt(access: RepositoryAccess, name: string): Promise<string> {
  const checked = access.refs[name];
  return checked?.pinned ?? (await access.defaultBranch());
}

/** `mycompany/web path "src" at main`: how error messages name what was being read. */
export function describeTarget(
  owner: string,
  repo: string,
  details: Record<string, string | undefined>,
): string {
  const parts = Object.entries(details)
    .filter(([, v]) => v !== undefined && v !== "")
    .map(([k, v]) => `${k} ${JSON.stringify(v)}`);
  return [`${owner}/${repo}`, ...parts].join(" ");
}
