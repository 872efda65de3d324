import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import { redactErrorText } from "../github/index.ts";
import { isAuditRefusal } from "./audit-refusal.ts";
import type { ToolContext } from "./context.ts";
import { PolicyDeniedError } from "./errors.ts";
import type { ToolOutcome } from "./events.ts";
import { errorCodeOf, errorResult, knownErrorResult, unexpectedErrorText } from "./results.ts";
import type { ToolArgs, ToolDefinition } from "./tools/definition.ts";

/**
 * Runs one tool call: the body, then the mapping of every failure to a tool error (never a stack
 * trace; unexpected errors are logged with the request id and answered generically), then the
 * `onToolResult` event with outcome and latency.
 */
export async function runTool<Shape extends z.ZodRawShape>(
  ctx: ToolContext,
  tool: ToolDefinition<Shape>,
  args: ToolArgs<Shape>,
): Promise<CallToolResult> {
  const started = performance.now();
  let result: CallToolResult;
  let outcome: ToolOutcome = "ok";
  let errorCode: string | undefined;
  try {
    result = await tool.run(ctx, args);
    if (result.isError) outcome = "error";
  } catch (error) {
    // Refused because the audit trail cannot record: the request is answered with that refusal, not this result.
    if (isAuditRefusal(error)) ctx.refusal.audit = error;
    outcome = error instanceof PolicyDeniedError ? "denied" : "error";
    errorCode = errorCodeOf(error);
    const known = knownErrorResult(error, safeTarget(tool, args));
    if (known) {
      result = known;
    } else {
      ctx.logger.error(
        {
          requestId: ctx.requestId,
          tool: tool.name,
          principal: ctx.principal.sub,
          error: redactErrorText(error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
          stack: error instanceof Error ? redactErrorText(error.stack ?? "") : undefined,
        },
        "repogate mcp: tool call failed unexpectedly",
      );
      result = errorResult(unexpectedErrorText(error, tool.name, ctx.requestId));
    }
  }
  try {
    await ctx.events.onToolResult?.({
      principal: ctx.principal,
      requestId: ctx.requestId,
      tool: tool.name,
      repository: tool.repositoryOf(args),
      outcome,
      latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
      ...(errorCode ? { errorCode } : {}),
    });
  } catch (error) {
    // Under audit.onFailure deny a call whose own record failed is refused: nothing is answered unaudited.
    if (isAuditRefusal(error)) ctx.refusal.audit = error;
    ctx.logger.error(
      {
        requestId: ctx.requestId,
        tool: tool.name,
        error: redactErrorText(String((error as Error)?.message)),
      },
      "repogate mcp: onToolResult hook failed",
    );
  }
  return result;
}

function safeTarget<Shape extends z.ZodRawShape>(tool: ToolDefinition<Shape>, args: ToolArgs<Shape>): string {
  try {
    return tool.target(args);
  } catch (error) {
    return `${tool.name} (${error instanceof Error ? error.message : "target unknown"})`;
  }
}
