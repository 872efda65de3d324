import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import { describeTarget, type RepositoryAccess, withRepositoryAccess } from "./access.ts";
import type { ToolContext } from "./context.ts";
import type { ownerArg, repoArg } from "./tools/arguments.ts";
import { defineTool, type ToolArgs, type ToolDefinition } from "./tools/definition.ts";

/** The argument shape of a tool on one repository: `owner` and `repo` plus its own arguments. */
export type RepositoryToolShape = z.ZodRawShape & { owner: typeof ownerArg; repo: typeof repoArg };

/** A tool that works on one repository named by its `owner` and `repo` arguments. */
export interface RepositoryToolDefinition<Shape extends RepositoryToolShape>
  extends Pick<ToolDefinition<Shape>, "name" | "title" | "description" | "operation" | "inputSchema"> {
  /**
   * Every ref argument the call reads at, by argument name (`undefined` value: the default branch); leave out
   * only when the call reads at no ref. See `RepositoryAccessRequest.refs`.
   */
  refs?(args: ToolArgs<Shape>): Record<string, string | undefined>;
  /** What error messages name after `owner/repo`, in order, e.g. `{ path: args.path, ref: args.ref }`. */
  targetDetails(args: ToolArgs<Shape>): Record<string, string | undefined>;
  /** The tool body, run once the policy allowed the call and every ref passed its check. */
  run(access: RepositoryAccess, args: ToolArgs<Shape>, ctx: ToolContext): Promise<CallToolResult>;
}

/** Builds a repository tool whose body runs inside `withRepositoryAccess` under its own name and operation. */
export function defineRepositoryTool<Shape extends RepositoryToolShape>(
  definition: RepositoryToolDefinition<Shape>,
): ToolDefinition<Shape> {
  const { refs, targetDetails, run, ...described } = definition;
  // zod's output type of a generic shape does not resolve its members, so owner and repo are named here.
  const named = (args: ToolArgs<Shape>) => args as { owner: string; repo: string };
  return defineTool({
    ...described,
    repositoryOf: (args) => {
      const { owner, repo } = named(args);
      return `${owner}/${repo}`;
    },
    target: (args) => {
      const { owner, repo } = named(args);
      return describeTarget(owner, repo, targetDetails(args));
    },
    run: (ctx, args) => {
      const { owner, repo } = named(args);
      return withRepositoryAccess(
        ctx,
        {
          tool: definition.name,
          owner,
          repo,
          operation: definition.operation,
          ...(refs ? { refs: refs(args) } : {}),
        },
        (access) => run(access, args, ctx),
      );
    },
  });
}
