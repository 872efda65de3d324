import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { CallOutcome } from "../audit/call-record.ts";
import { GitHubRefResolver, redactErrorText } from "../github/index.ts";
import {
  evaluateRefStatically,
  type Operation,
  type PolicyDecision,
  settleRefQuestion,
} from "../policy/index.ts";
import { isAuditRefusal } from "./audit-refusal.ts";
import type { ToolContext } from "./context.ts";
import { PolicyDeniedError } from "./errors.ts";
import { errorCodeOf, errorResult, knownErrorResult, unexpectedErrorText } from "./results.ts";
import type { CheckedRef, RepositoryTool, ToolArgs, ToolDefinition } from "./tool.ts";

/**
 * Runs one tool call and records how it ended: the body (for a repository tool, the policy path below), every
 * failure mapped to a tool error the model can act on (never a stack trace; unexpected errors are logged with
 * the request id and answered generically), then the call's `tool.call` record with outcome and latency.
 */
export async function runToolCall(
  ctx: ToolContext,
  tool: ToolDefinition,
  args: ToolArgs<never>,
): Promise<CallToolResult> {
  const started = performance.now();
  let result: CallToolResult;
  let outcome: CallOutcome = "ok";
  let errorCode: string | undefined;
  try {
    result =
      tool.kind === "repository" ? await runRepositoryTool(ctx, tool, args) : await tool.run(ctx, args);
    if (result.isError) outcome = "error";
  } catch (error) {
    // Refused because the audit trail cannot record: the request is answered with that refusal, not this result.
    if (isAuditRefusal(error)) ctx.refusal.audit = error;
    outcome = error instanceof PolicyDeniedError ? "denied" : "error";
    errorCode = errorCodeOf(error);
    result = knownErrorResult(error, targetOf(tool, args)) ?? unexpectedError(ctx, tool, error);
  }
  try {
    await ctx.record.finished({
      repository: tool.kind === "repository" ? repositoryOf(args) : null,
      outcome,
      latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
      errorCode,
    });
  } catch (error) {
    // Under audit.onFailure deny a call whose own record failed is refused: nothing is answered unaudited.
    if (isAuditRefusal(error)) ctx.refusal.audit = error;
    ctx.logger.error(
      {
        requestId: ctx.record.request.id,
        tool: tool.name,
        error: redactErrorText(String((error as Error)?.message)),
      },
      "repogate mcp: the tool call's record failed",
    );
  }
  return result;
}

/**
 * The policy path of one repository tool call, in order: decide; check every ref as far as the policy can
 * without GitHub (a denial costs no token); mint a token narrowed to this repository and operation; settle
 * what the refs still need GitHub for (default branch, reachability), pinning each ref to what was checked;
 * then run the body. The token is revoked when the body settles.
 * @throws PolicyDeniedError when the policy or a ref check refuses (recorded first, durably).
 */
async function runRepositoryTool(
  ctx: ToolContext,
  tool: RepositoryTool,
  args: ToolArgs<never>,
): Promise<CallToolResult> {
  const { owner, repo } = args as unknown as { owner: string; repo: string };
  const repository = `${owner}/${repo}`;
  const { operation } = tool;
  const decision = ctx.policy.decide({ principal: ctx.record.principal, repository, operation });
  const refs = Object.entries(tool.refs?.(args) ?? {}).map(([name, ref]) => ({
    name,
    ref,
    settled: evaluateRefStatically(decision, ref),
  }));
  // enforceDecision throws for a denial, so nothing below runs for one.
  if (!decision.allowed) await enforceDecision(ctx, operation, decision, null);
  for (const { ref, settled } of refs) {
    if ("decision" in settled && !settled.decision.allowed) {
      await enforceDecision(ctx, operation, settled.decision, ref ?? null);
    }
  }
  return ctx.github.tokens.withToken({ repository, operation }, ctx.record, async (octokit, grant) => {
    const resolver = new GitHubRefResolver(octokit, repository);
    const checked: Record<string, CheckedRef> = {};
    let last = decision;
    for (const { name, ref, settled } of refs) {
      const refDecision =
        "decision" in settled
          ? settled.decision
          : await settleRefQuestion(decision, ref, settled.question, resolver);
      await enforceDecision(ctx, operation, refDecision, ref ?? null);
      checked[name] = pinnedRef(ref, refDecision);
      last = refDecision;
    }
    if (refs.length === 0) await enforceDecision(ctx, operation, decision, null);
    const access = {
      octokit,
      grant,
      owner,
      repo,
      decision: last,
      refs: checked,
      defaultBranch: () => resolver.defaultBranch(),
    };
    return tool.run(access, args, ctx);
  });
}

/**
 * Records a decision in the call's record (a denial durably) and throws `PolicyDeniedError` for a denial:
 * every decision of a repository tool's policy path. (search_code and get_commit's patches record decisions
 * that narrow the answer instead of refusing it with `ctx.record.decided` directly.)
 */
async function enforceDecision(
  ctx: ToolContext,
  operation: Operation,
  decision: PolicyDecision,
  ref: string | null,
): Promise<void> {
  await ctx.record.decided({ repository: decision.repository, operation, ref, decision });
  if (!decision.allowed) throw new PolicyDeniedError(decision);
}

/**
 * The ref to send to GitHub after the check: a full SHA or a branch the policy named is what the check looked
 * at, and reading it avoids a race with the default branch (or a branch head) moving in between.
 */
function pinnedRef(ref: string | undefined, decision: PolicyDecision): CheckedRef {
  const outcome = decision.ref;
  const pinned =
    outcome?.sha && outcome.sha.length === 40
      ? outcome.sha
      : outcome?.kind === "branch" || outcome?.kind === "default-branch"
        ? (outcome.branch ?? ref)
        : ref;
  return { input: ref, pinned: pinned ?? undefined, decision };
}

function repositoryOf(args: ToolArgs<never>): string {
  const { owner, repo } = args as unknown as { owner: string; repo: string };
  return `${owner}/${repo}`;
}

/** `mycompany/web path "src" ref "main"`: how error messages name what was being read. */
function targetOf(tool: ToolDefinition, args: ToolArgs<never>): string {
  try {
    if (tool.kind === "installation") return tool.target(args);
    const parts = Object.entries(tool.targetDetails(args))
      .filter(([, v]) => v !== undefined && v !== "")
      .map(([k, v]) => `${k} ${JSON.stringify(v)}`);
    return [repositoryOf(args), ...parts].join(" ");
  } catch (error) {
    return `${tool.name} (${error instanceof Error ? error.message : "target unknown"})`;
  }
}

function unexpectedError(ctx: ToolContext, tool: ToolDefinition, error: unknown): CallToolResult {
  ctx.logger.error(
    {
      requestId: ctx.record.request.id,
      tool: tool.name,
      principal: ctx.record.principal.sub,
      error: redactErrorText(error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
      stack: error instanceof Error ? redactErrorText(error.stack ?? "") : undefined,
    },
    "repogate mcp: tool call failed unexpectedly",
  );
  return errorResult(unexpectedErrorText(error, tool.name, ctx.record.request.id));
}
