import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import type { NarrowedOctokit, TokenGrant } from "../github/index.ts";
import type { Operation, PolicyDecision } from "../policy/index.ts";
import type { ToolContext } from "./context.ts";
import type { ownerArg, repoArg } from "./tools/arguments.ts";

/** The arguments a tool's body receives, parsed by its raw zod shape. */
export type ToolArgs<Shape extends z.ZodRawShape> = z.output<z.ZodObject<Shape>>;

/** What every tool declares: its schema and description for the model, and the policy operation it performs. */
interface ToolBase<Shape extends z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  operation: Operation;
  inputSchema: Shape;
}

/**
 * A tool over the App's installations (list_repositories, search_code): it decides and mints itself, per
 * repository it touches, with `ctx.record`.
 */
export interface InstallationTool<Shape extends z.ZodRawShape = z.ZodRawShape> extends ToolBase<Shape> {
  kind: "installation";
  /** How error messages name what was being read, e.g. `code search "createRoot"`. */
  target(args: ToolArgs<Shape>): string;
  run(ctx: ToolContext, args: ToolArgs<Shape>): Promise<CallToolResult>;
}

/** The argument shape of a tool on one repository: `owner` and `repo` plus its own arguments. */
export type RepositoryToolShape = z.ZodRawShape & { owner: typeof ownerArg; repo: typeof repoArg };

/**
 * A tool on one repository named by its `owner` and `repo` arguments. The tool path decides, mints and checks
 * every ref before `run` is called (see `runToolCall`).
 */
export interface RepositoryTool<Shape extends RepositoryToolShape = RepositoryToolShape>
  extends ToolBase<Shape> {
  kind: "repository";
  /**
   * Every ref argument the call reads at, by argument name (`undefined` value: the default branch); leave out
   * only when the call reads at no ref (list_branches).
   */
  refs?(args: ToolArgs<Shape>): Record<string, string | undefined>;
  /** What error messages name after `owner/repo`, in order, e.g. `{ path: args.path, ref: args.ref }`. */
  targetDetails(args: ToolArgs<Shape>): Record<string, string | undefined>;
  /** The tool body, run once the policy allowed the call and every ref passed its check. */
  run(access: RepositoryAccess, args: ToolArgs<Shape>, ctx: ToolContext): Promise<CallToolResult>;
}

// biome-ignore lint/suspicious/noExplicitAny: each tool has its own argument shape
export type ToolDefinition = InstallationTool<any> | RepositoryTool<any>;

/** A ref after the policy accepted it, with what to send to GitHub so the read sees what was checked. */
export interface CheckedRef {
  /** The caller's ref, `undefined` for "the default branch". */
  input: string | undefined;
  /** The ref to pass to GitHub: the checked commit SHA or branch when known, else the input. */
  pinned: string | undefined;
  decision: PolicyDecision;
}

/** What a repository tool's body gets once the policy allowed the call and every ref passed its check. */
export interface RepositoryAccess {
  octokit: NarrowedOctokit;
  grant: TokenGrant;
  owner: string;
  repo: string;
  /** The repository decision (after the ref checks, the last one). */
  decision: PolicyDecision;
  /** Checked refs by argument name; use `pinned` in GitHub calls. */
  refs: Record<string, CheckedRef>;
  /** The repository's default branch (fetched at most once per call). */
  defaultBranch(): Promise<string>;
}

/** Defines a tool over the installations; keeps the shape's type for `args`. */
export function defineInstallationTool<Shape extends z.ZodRawShape>(
  definition: Omit<InstallationTool<Shape>, "kind">,
): InstallationTool<Shape> {
  return { kind: "installation", ...definition };
}

/** Defines a tool on one repository; keeps the shape's type for `args`. */
export function defineRepositoryTool<Shape extends RepositoryToolShape>(
  definition: Omit<RepositoryTool<Shape>, "kind">,
): RepositoryTool<Shape> {
  return { kind: "repository", ...definition };
}

/** The ref a read actually used, for output headers: the pinned ref, or the default branch. */
export async function readAt(access: RepositoryAccess, name: string): Promise<string> {
  return access.refs[name]?.pinned ?? (await access.defaultBranch());
}
